"""TicketIssuer against the real driver and the simulator over a pty: refuse, print, cancel on failure."""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from drivers.printer import PrinterSimulator
from drivers.transport import register_sim, unregister_sim
from hall import HallQueue
from kiosk.printing import PrinterUnavailable, PrintFailed, TicketIssuer
from kiosk.ticket_layout import ticket_content, window_ranges


@pytest.fixture
def printer_sim(tmp_path):
    name = f"kiosk-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(output_dir=tmp_path / "prints")
    register_sim(name, sim)
    sim.url = f"sim://{name}"
    yield sim
    unregister_sim(name)


@pytest.fixture
def hall(demo_config, printer_sim, clock, db_path):
    cfg = demo_config.model_copy(update={"printer": demo_config.printer.model_copy(
        update={"url": printer_sim.url, "timeout_s": 0.5})})
    q = HallQueue(db_path, cfg, clock)
    issuer = TicketIssuer(q, cfg)
    yield cfg, q, issuer
    issuer.printer.close()
    q.close()


def printer_events(q):
    return [e.data for e in q.events_after(0) if e.kind == "printer"]


def test_issue_prints_the_ticket(hall, printer_sim):
    cfg, q, issuer = hall
    t = issuer.issue("A", kiosk="kiosk1")
    assert (t.number, t.status) == ("A001", "waiting")
    assert len(printer_sim.jobs) == 1 and printer_sim.pngs[0].exists()
    job = printer_sim.jobs[0]
    assert "社会保障".encode("gbk") in job and b"A001\n" in job
    assert t.status_url.encode() in job  # the demo hall's QR: the ticket's status page


@pytest.mark.parametrize("level", ["paper_out", "cover_open", "offline"])
def test_printer_not_ready_refuses_and_nothing_is_issued(hall, printer_sim, level):
    cfg, q, issuer = hall
    printer_sim.set_status(level)
    with pytest.raises(PrinterUnavailable) as err:
        issuer.issue("A", kiosk="kiosk1")
    assert err.value.status.level == level
    assert err.value.message_zh and err.value.message_en
    assert q.issued_today("A") == 0
    assert not [e for e in q.events_after(0) if e.kind == "issued"]
    assert printer_sim.jobs == []
    refused = [d for d in printer_events(q) if d["action"] == "refused"]
    assert refused and refused[0]["status"] == level and refused[0]["kiosk"] == "kiosk1"
    # once the printer is back, the first ticket is A001: nothing was used up
    printer_sim.set_status("ok")
    assert issuer.issue("A").number == "A001"


def test_near_end_issues_and_warns(hall, printer_sim):
    cfg, q, issuer = hall
    printer_sim.set_status("near_end")
    t = issuer.issue("B")
    assert t.status == "waiting" and len(printer_sim.jobs) == 1
    assert issuer.printer_status().level == "near_end"
    assert [d["status"] for d in printer_events(q) if d["action"] == "status"] == ["near_end"]


def test_failure_mid_job_cancels_the_ticket_and_its_number_is_not_reused(hall, printer_sim):
    cfg, q, issuer = hall
    printer_sim.fail_during_next_job(after_bytes=120, level="paper_out")
    with pytest.raises(PrintFailed) as err:
        issuer.issue("A", kiosk="kiosk1")
    t = err.value.ticket
    assert (t.number, t.status, t.cancel_reason) == ("A001", "cancelled", "print_failed")
    assert q.ticket(t.id).status == "cancelled"
    assert "A001" in err.value.message_zh
    assert printer_sim.jobs == [] and len(printer_sim.lost_jobs) == 1
    failed = [d for d in printer_events(q) if d["action"] == "print_failed"]
    assert failed and failed[0]["number"] == "A001" and failed[0]["status"] == "paper_out"
    cancelled = [e for e in q.events_after(0) if e.kind == "cancelled"]
    assert cancelled[0].data["reason"] == "print_failed"
    # paper loaded again: the next citizen gets A002, and window 1 never calls A001
    printer_sim.set_status("ok")
    assert issuer.issue("A").number == "A002"
    assert q.call_next(1).number == "A002"
    assert q.call_next(1) is None


def test_appointment_check_in_after_a_failed_print_gets_a_fresh_ticket(hall, printer_sim, clock):
    cfg, q, issuer = hall
    q.add_appointment("YY100", "C", datetime(2026, 11, 23, 9, 15), "张三")
    printer_sim.fail_during_next_job(after_bytes=80)
    with pytest.raises(PrintFailed):
        issuer.check_in("YY100")
    printer_sim.set_status("ok")
    t = issuer.check_in("YY100")
    assert t.status == "waiting" and t.kind == "appointment" and t.number == "C002"
    assert "预约码 YY100".encode("gbk") in printer_sim.jobs[-1]
    # scanning again reprints the same ticket; a failed reprint does not cancel it
    assert issuer.check_in("YY100").id == t.id
    printer_sim.fail_during_next_job(after_bytes=80)
    with pytest.raises(PrintFailed):
        issuer.check_in("YY100")
    assert q.ticket(t.id).status == "waiting"


def test_queue_check_in_after_print_failed_issues_anew(queue):
    """hall/: an appointment whose ticket was cancelled as print_failed is not used up."""
    queue.add_appointment("YY7", "A", datetime(2026, 11, 23, 9, 0))
    first = queue.check_in("YY7")
    queue.cancel(first.id, "print_failed")
    second = queue.check_in("YY7")
    assert second.id != first.id and second.status == "waiting"
    assert queue.check_in("YY7").id == second.id
    other = queue.check_in("YY7")
    queue.cancel(other.id, "citizen_left")
    assert queue.check_in("YY7").status == "cancelled"  # any other cancellation stands


def test_ticket_content_from_config_and_ticket(hall):
    cfg, q, issuer = hall
    q.issue("A")
    t = q.issue("A", priority=True)
    c = ticket_content(cfg, t)
    assert (c.hall, c.service, c.zone, c.number) == ("瑶海区政务服务中心", "社会保障", "社保医保专区", t.number)
    assert c.windows == "1-3、12号窗口"
    assert c.marks == ("绿色通道 优先办理",)
    assert c.qr == t.status_url and t.token in c.qr
    assert c.notice == cfg.hall.notice and c.issued == "2026-11-23 09:00"


@pytest.mark.parametrize("numbers, text", [([1, 2, 3, 12], "1-3、12"), ([4, 5], "4、5"), ([7], "7"),
                                           ([3, 1, 2, 5, 6, 7, 9], "1-3、5-7、9")])
def test_window_ranges(numbers, text):
    assert window_ranges(numbers) == text

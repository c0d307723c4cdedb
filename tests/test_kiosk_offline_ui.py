"""The kiosk's Qt screens through a network cut (offscreen): it says it is issuing
offline, prints real tickets with the 离线 line, stops with 暂停取号，请到服务台 when
offline too long, and recovers by itself once the server answers (kiosk/offline.py).

JIAOHAO_SCREENSHOTS=docs also writes the screens to docs/screenshots/kiosk-offline-*.png."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from PySide6.QtCore import Qt  # noqa: E402

from kiosk import flow as F  # noqa: E402
from kiosk.app import KioskWindow  # noqa: E402
from kiosk.offline import OFFLINE, ONLINE, OfflineHall  # noqa: E402
from kiosk.offline_journal import OfflineJournal  # noqa: E402
from kiosk.printing import TicketIssuer  # noqa: E402
from tests.remote_helpers import START, LiveHall, live, sim_printer  # noqa: E402,F401 - fixtures

WAIT_MS = 15000
DOCS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def shot(w, tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.png"
    assert w.grab().save(str(path), "PNG")
    if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
        w.grab().save(str(DOCS / f"{name}.png"), "PNG")
    return path


@pytest.fixture
def printer(sim_printer):
    return sim_printer


def test_kiosk_issues_offline_then_stops_then_recovers(qtbot, live, printer, tmp_path):
    remote = live.remote("kiosk", timeout_s=0.5)
    hall = OfflineHall(remote, OfflineJournal(tmp_path / "journal.sqlite", live.url))
    cfg = remote.config.model_copy(update={"printer": remote.config.printer.model_copy(
        update={"url": f"sim://{printer[0]}", "timeout_s": 2.0})})
    issuer = TicketIssuer(hall, cfg)
    w = KioskWindow(hall, cfg, issuer, kiosk_name="kiosk-lan", start_timers=False)
    qtbot.addWidget(w)
    w.resize(1080, 1920)
    w.show()
    clock = live.queue.clock.source
    printed: list[str] = []
    try:
        qtbot.waitUntil(lambda: hall.state == ONLINE and bool(hall.journal.leases()), timeout=WAIT_MS)
        live.queue.issue("A")  # one citizen waits: the kiosk's figures know it
        w.refresh()

        def while_down() -> None:
            qtbot.waitUntil(lambda: hall.state == OFFLINE, timeout=WAIT_MS)
            w.refresh()
            assert w.offline_status() == ("offline", None)
            assert w.home.hint.isVisible() and w.home.hint.text() == "离线取号中，号码照常有效"
            shot(w, tmp_path, "kiosk-offline-home")
            qtbot.mouseClick(w.home.tile("A"), Qt.LeftButton)
            qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=WAIT_MS)
            number = w.done.number.text()
            printed.append(number)
            assert w.done.ahead.text() == "前方约1人（离线估计）"
            shot(w, tmp_path, "kiosk-offline-done")
            assert printer[1].wait_for_jobs(1)
            job = printer[1].jobs[0]
            assert number.encode() in job and "离线".encode("gb18030") in job
            assert "前方约1人（离线估计）".encode("gb18030") in job
            paper = tmp_path / "kiosk-offline-ticket.png"
            printer[1].images[0].save(paper)
            if os.environ.get("JIAOHAO_SCREENSHOTS") == "docs":
                printer[1].images[0].save(DOCS / "kiosk-offline-ticket.png")
            w.flow.finished()
            # 31 minutes without the server: offline issue stops, in words
            clock.advance(minutes=31)
            w.render()
            assert w.offline_status() == ("stopped", "too_long")
            assert w.home.paused.isVisible() and not w.home.grid_host.isVisible()
            assert w.home.paused_text.text() == "暂停取号，请到服务台"
            assert "30" in w.home.paused_detail.text()
            shot(w, tmp_path, "kiosk-offline-stopped")

        live.restart(while_down)
        # the server answers: the ticket is sent, the kiosk issues online again by itself
        qtbot.waitUntil(lambda: hall.state == ONLINE and not hall.journal.pending(), timeout=WAIT_MS)
        w.refresh()
        assert w.offline_status() == ("online", None)
        assert not w.home.paused.isVisible() and w.home.grid_host.isVisible()
        t = live.queue.ticket_by_number(printed[0])
        assert t.status == "waiting"
        qtbot.mouseClick(w.home.tile("A"), Qt.LeftButton)
        qtbot.waitUntil(lambda: w.flow.screen == F.DONE, timeout=WAIT_MS)
        assert "离线" not in w.done.ahead.text()
        w.flow.finished()
        w.flow.screen, w.flow.unlocked = F.TECH_MENU, True  # what the technician reads there
        w.render()
        info = "\n".join(l.text() for l in w.tech.findChildren(type(w.done.ahead)))
        assert "未上传的离线票：0" in info and "剩余预留号：A 10, B 10" in info  # the used lease was replaced
        online = live.queue.ticket_by_number(w.done.number.text())
        assert online.seq > t.seq  # never a number the lease held
    finally:
        w.allow_close = True
        w.shutdown()
        issuer.printer.close()
        hall.close()


def test_a_kiosk_on_the_lan_issues_offline_unless_the_hall_says_no(live, tmp_path):
    from kiosk.run import with_offline_issue
    remote = live.remote("kiosk", timeout_s=0.5)
    hall = with_offline_issue(remote, tmp_path / "journal.sqlite")
    try:
        assert isinstance(hall, OfflineHall) and hall.remote is remote
    finally:
        hall.close()
    cfg = live.queue.config
    off = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"lease_size": 0})})
    plain = live.remote("kiosk", timeout_s=0.5)
    plain.use_config(off)
    assert with_offline_issue(plain, tmp_path / "j2.sqlite") is plain
    assert with_offline_issue(live.queue, tmp_path / "j3.sqlite") is live.queue  # one-computer hall

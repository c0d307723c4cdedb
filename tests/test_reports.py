"""Report figures against a hand-built day with known answers (tests/report_day.py)."""
from __future__ import annotations

import os
import sqlite3
import time
from datetime import datetime

import pytest

from hall import FixedClock, HallQueue
from hall.db import MIGRATIONS, connect
from hall.report_queries import fixed_utc_offset, hour_sql
from hall.reports import (GROUPINGS, ReportError, Stats, build_report, parse_day, report_for_queue,
                          today_summary)

from .report_day import DAY1, DAY2, build_day, report_config


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    q, clock = build_day(tmp_path_factory.mktemp("reports") / "hall.sqlite")
    yield q
    q.close()


def rows(report) -> dict:
    return {f.key: f for f in report.rows}


def test_stats_nearest_rank_p90():
    s = Stats.of([300, 1200, 1800, 2100, 3300, 3300])
    assert (s.n, s.mean, s.p90, s.max) == (6, 2000, 3300, 3300)
    assert Stats.of(list(range(1, 11))).p90 == 9  # ceil(0.9 * 10) = 9th value
    assert Stats.of(list(range(1, 12))).p90 == 10  # ceil(9.9) = 10th value
    assert Stats.of([]).mean is None and Stats.of([]).n == 0


def test_day_total(day):
    t = report_for_queue(day, DAY1, DAY1).total
    # nine tickets issued on day 1, one of them cancelled because its print failed
    assert (t.issued, t.cancelled, t.served, t.no_show, t.expired, t.open) == (8, 1, 4, 1, 3, 0)
    assert t.transfers == 2
    # waits 30, 35, 55, 55, 20, 5 minutes: the transferred A002 counts once (first call)
    assert (t.wait.n, t.wait.mean, t.wait.p90, t.wait.max) == (6, 2000, 3300, 3300)
    # handling per call: 600, 300 (A002 at w1), 1200 (A002 at w4), 1200, 600; B001 open at day end excluded
    assert (t.handle.n, t.handle.mean, t.handle.p90) == (5, 780, 1200)
    assert t.ratings == {5: 1, 4: 1, 3: 0, 2: 1, 1: 0}
    assert t.rated == 3 and t.satisfied == 2 and t.satisfaction == pytest.approx(2 / 3)
    assert (t.refused_cap, t.refused_hours, t.refused_printer, t.refused) == (1, 1, 1, 3)


def test_by_service(day):
    r = rows(report_for_queue(day, DAY1, DAY1, "service"))
    assert set(r) == {"A", "B", "C", "D", "E", "H"}
    a, c, e = r["A"], r["C"], r["E"]
    # A002 was issued for A and transferred to C: issued and waited under A, served under C
    assert (a.issued, a.served, a.transfers, a.cancelled, a.refused_printer, a.refused_hours) == (2, 1, 1, 1, 1, 1)
    assert (a.wait.n, a.wait.mean) == (2, 1950)
    assert (a.handle.n, a.handle.mean) == (2, 450)
    assert (c.issued, c.served, c.no_show, c.wait.mean, c.handle.mean) == (1, 1, 1, 3300, 1200)
    assert c.ratings[4] == 1 and a.ratings[5] == 1
    assert (e.issued, e.served, e.expired, e.transfers, e.ratings[2]) == (2, 1, 1, 1, 1)
    assert (r["H"].issued, r["H"].expired, r["H"].refused_cap) == (1, 1, 1)
    assert r["B"].served == 1 and r["B"].handle.n == 0  # finished by the day close: no handling time
    assert r["A"].label == "社会保障"


def test_rows_add_up_to_the_total(day):
    for by in GROUPINGS:
        report = report_for_queue(day, DAY1, DAY2, by)
        t = report.total
        for fig in ("served", "no_show", "transfers", "rated"):
            assert sum(getattr(f, fig) for f in report.rows) == getattr(t, fig), (by, fig)
        assert sum(f.wait.n for f in report.rows) == t.wait.n, by
        assert sum(f.handle.n for f in report.rows) == t.handle.n, by
        if by in ("service", "hour", "day"):
            for fig in ("issued", "expired", "cancelled", "refused"):
                assert sum(getattr(f, fig) for f in report.rows) == getattr(t, fig), (by, fig)


def test_by_window_staff_department(day):
    w = rows(report_for_queue(day, DAY1, DAY1, "window"))
    assert set(w) == {"1", "4", "7"}
    assert w["1"].issued is None and w["1"].refused_cap is None  # windows issue nothing
    assert (w["1"].served, w["1"].transfers, w["1"].wait.n, w["1"].handle.n) == (2, 1, 3, 2)
    assert (w["4"].served, w["4"].no_show, w["4"].wait.n, w["4"].handle.mean) == (1, 1, 1, 1200)
    assert (w["7"].served, w["7"].transfers, w["7"].handle.mean, w["7"].satisfaction) == (1, 1, 900, 0)
    s = rows(report_for_queue(day, DAY1, DAY1, "staff"))
    assert (s["张三"].served, s["李四"].no_show, s["王五"].ratings[2]) == (2, 1, 1)
    d = rows(report_for_queue(day, DAY1, DAY1, "department"))
    assert set(d) == {"区人社局", "区不动产登记中心", "区税务局"}
    assert d["区人社局"].served == 2


def test_by_hour(day):
    h = rows(report_for_queue(day, DAY1, DAY1, "hour"))
    assert {k: f.issued for k, f in h.items()} == {"8": 4, "9": 0, "10": 3, "11": 1}
    assert (h["8"].refused_hours, h["8"].refused_printer, h["10"].refused_cap) == (1, 1, 1)
    assert (h["9"].served, h["9"].no_show, h["11"].served) == (3, 1, 1)
    assert h["8"].wait.mean == (1800 + 2100 + 3300 + 3300) / 4
    assert h["8"].label == "08:00-09:00"


def test_day_boundaries(day):
    d1, d2 = report_for_queue(day, DAY1, DAY1).total, report_for_queue(day, DAY2, DAY2).total
    # the day close of the 24th (expiring the 23rd's tickets) belongs to the 23rd
    assert (d2.issued, d2.served, d2.expired, d2.wait.mean, d2.ratings[3]) == (1, 1, 0, 600, 1)
    both = report_for_queue(day, DAY1, DAY2)
    assert both.total.issued == d1.issued + d2.issued == 9
    assert both.total.satisfaction == pytest.approx(3 / 4)
    assert {f.key: f.served for f in report_for_queue(day, DAY1, DAY2, "day").rows} == {DAY1: 4, DAY2: 1}
    assert report_for_queue(day, "2026-11-25", "2026-11-30").total.issued == 0


def test_charts_data(day):
    r = report_for_queue(day, DAY1, DAY1, "window")
    assert r.arrivals_by_hour == {8: 4, 10: 3, 11: 1}
    assert {f.key: f.wait.mean for f in r.wait_by_service} == {"A": 1950, "B": 300, "C": 3300, "E": 2250}


def test_open_tickets_today(tmp_path, demo_config):
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    q = HallQueue(tmp_path / "h.sqlite", demo_config, clock)
    q.issue("A"), q.issue("A"), q.issue("B")
    q.call_next(1)
    clock.advance(minutes=20)
    t = report_for_queue(q).total
    assert (t.issued, t.open, t.served, t.wait.n) == (3, 3, 0, 1)
    s = today_summary(q)
    assert (s["issued"], s["waiting_now"], s["serving_now"], s["longest_wait_now_s"]) == (3, 2, 1, 1200)
    assert s["windows"]["serving"] == 1 and s["day"] == "2026-11-23"
    assert {x["code"]: x["waiting"] for x in s["services"]}["A"] == 1
    q.close()


def test_today_summary_keys(day):
    s = today_summary(day)
    assert s["day"] == DAY2 and s["issued"] == 1 and s["satisfaction"] == 1.0
    assert s["refused"] == {"cap": 0, "hours": 0, "printer": 0, "total": 0}
    assert [x["code"] for x in s["services"]] == [x.code for x in report_config().services]


def test_reactivated_no_show_served_later_is_not_a_no_show(tmp_path, demo_config):
    clock = FixedClock(datetime(2026, 11, 23, 9, 0))
    q = HallQueue(tmp_path / "h.sqlite", demo_config, clock)
    q.issue("A")
    q.call_next(1)
    clock.advance(minutes=1)
    q.skip(1)
    q.reactivate("A001")
    clock.advance(minutes=5)
    q.call_next(2)
    clock.advance(minutes=4)
    q.finish(2)
    r = report_for_queue(q, by="window")
    t = r.total
    assert (t.served, t.no_show, t.wait.n, t.wait.mean) == (1, 0, 1, 0)
    assert (rows(r)["1"].no_show, rows(r)["1"].wait.n, rows(r)["2"].served) == (0, 1, 1)
    assert t.handle.n == 1 and t.handle.mean == 240  # the skipped call is not handling time
    q.close()


def test_printer_refusal_events_count(tmp_path, demo_config):
    q = HallQueue(tmp_path / "h.sqlite", demo_config, FixedClock(datetime(2026, 11, 23, 9, 0)))
    q.log_event("refused", service="A", reason="paper_out")
    q.log_event("refused", service="A", reason="something_else")
    t = report_for_queue(q).total
    assert (t.refused_printer, t.refused) == (1, 1)
    q.close()


@pytest.mark.parametrize("tz", ["Asia/Shanghai", "America/New_York", "UTC"])
def test_hour_arithmetic_matches_localtime(tz, tmp_path):
    old = os.environ.get("TZ")
    os.environ["TZ"] = tz
    time.tzset()
    try:
        c = sqlite3.connect(":memory:")
        for d0, d1 in (("2026-11-23", "2026-11-23"), ("2026-03-01", "2026-03-31")):
            offset = fixed_utc_offset(d0, d1)
            if tz == "America/New_York" and d0.startswith("2026-03"):
                assert offset is None  # daylight saving starts in March: use localtime
                continue
            ts = datetime.fromisoformat(d0 + "T09:59:59").timestamp()
            assert c.execute(f"SELECT {hour_sql('?', offset)}", (ts,)).fetchone()[0] == 9
            assert c.execute(f"SELECT {hour_sql('?')}", (ts,)).fetchone()[0] == 9
    finally:
        if old is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = old
        time.tzset()


def test_report_migration_adds_covering_indexes(tmp_path):
    assert [name for name, _ in MIGRATIONS][:2] == ["0001_initial", "0002_report_indexes"]
    conn = connect(tmp_path / "h.sqlite")
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT c.service, c.ended_at - c.called_at FROM calls c "
        "WHERE c.day BETWEEN ? AND ? AND c.outcome IN ('finished', 'transferred')", ("a", "b")))
    assert "COVERING INDEX calls_report" in plan
    plan = " ".join(r[3] for r in conn.execute(
        "EXPLAIN QUERY PLAN SELECT t.origin_service, t.first_called_at - t.issued_at FROM tickets t "
        "WHERE t.day BETWEEN ? AND ?", ("a", "b")))
    assert "COVERING INDEX tickets_report" in plan
    conn.close()


def test_bad_arguments(day):
    with pytest.raises(ReportError, match="group by"):
        build_report(day.path, DAY1, DAY1, "kiosk")
    with pytest.raises(ReportError, match="after"):
        build_report(day.path, DAY2, DAY1)
    with pytest.raises(ReportError, match="not a date"):
        parse_day("23/11/2026", datetime(2026, 11, 23).date())
    assert str(parse_day("yesterday", datetime(2026, 11, 23).date())) == "2026-11-22"


def test_kiosk_printer_refusals_and_failures(tmp_path, demo_config, clock):
    """The real kiosk issuer against the printer simulator: paper out refuses, a failed print cancels."""
    printing = pytest.importorskip("kiosk.printing")
    import uuid

    from drivers.printer import PrinterSimulator
    from drivers.transport import register_sim, unregister_sim
    name = f"report-{uuid.uuid4().hex[:8]}"
    sim = PrinterSimulator(output_dir=tmp_path / "prints")
    register_sim(name, sim)
    cfg = demo_config.model_copy(update={"printer": demo_config.printer.model_copy(
        update={"url": f"sim://{name}", "timeout_s": 0.5})})
    q = HallQueue(tmp_path / "h.sqlite", cfg, clock)
    issuer = printing.TicketIssuer(q, cfg)
    try:
        issuer.issue("A")
        sim.set_status("paper_out")
        for _ in range(2):
            with pytest.raises(printing.PrinterUnavailable):
                issuer.issue("B")
        sim.set_status("ok")
        sim.fail_during_next_job(after_bytes=120, level="paper_out")
        with pytest.raises(printing.PrintFailed):
            issuer.issue("A")
        r = report_for_queue(q)
        assert (r.total.issued, r.total.cancelled, r.total.refused_printer) == (1, 1, 3)
        assert (rows(r)["B"].refused_printer, rows(r)["A"].refused_printer) == (2, 1)
    finally:
        issuer.printer.close()
        q.close()
        unregister_sim(name)


@pytest.mark.parametrize("by", GROUPINGS)
def test_in_memory_connection_gives_the_same_figures(day, by):
    """A connection without a file runs the queries one after the other: same answers."""
    mem = sqlite3.connect(":memory:")
    src = sqlite3.connect(day.path)
    src.backup(mem)
    src.close()
    one = build_report(mem, DAY1, DAY2, by).to_json()
    other = build_report(day.path, DAY1, DAY2, by).to_json()
    one.pop("generated_at"), other.pop("generated_at")
    assert one == other and one["total"]["issued"] == 9
    mem.close()


def test_the_total_is_the_same_whatever_the_grouping(day):
    totals = [report_for_queue(day, DAY1, DAY2, by).total.to_json() for by in GROUPINGS]
    assert all(t == totals[0] for t in totals[1:])
    assert totals[0]["wait"]["n"] == 7 and totals[0]["handle"]["n"] == 6


def test_today_summary_ignores_yesterdays_leftovers_before_the_day_rolls(tmp_path, demo_config):
    clock = FixedClock(datetime(2026, 11, 23, 16, 0))
    q = HallQueue(tmp_path / "h.sqlite", demo_config, clock)
    q.issue("A"), q.issue("B")
    q.call_next(1)
    clock.set(datetime(2026, 11, 24, 7, 50))  # next morning, nothing has happened yet
    s = today_summary(q)
    assert (s["day"], s["issued"], s["waiting_now"], s["serving_now"]) == ("2026-11-24", 0, 0, 0)
    assert s["longest_wait_now_s"] is None
    q.close()

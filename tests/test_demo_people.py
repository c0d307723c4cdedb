"""The demo's simulated citizens and staff, on a frozen clock and a real queue."""
from __future__ import annotations

import random
from datetime import datetime, time

from hall import FixedClock, HallQueue
from jiaohao.demo.arrivals import ArrivalModel, day_shape
from jiaohao.demo.figures import Figures
from jiaohao.demo.staff import QueueDesk, WindowStaff


def test_rates_follow_opening_hours(demo_config):
    m = ArrivalModel(demo_config, random.Random(1))
    day = datetime(2026, 11, 23)
    assert m.rate_per_minute("A", day.replace(hour=9)) > 0
    assert m.rate_per_minute("A", day.replace(hour=12, minute=30)) == 0  # lunch: closed
    assert m.rate_per_minute("H", day.replace(hour=8, minute=45)) == 0   # H opens at 09:00
    assert m.rate_per_minute("D", day.replace(hour=17, minute=10)) == 0  # D closes at 17:00


def test_a_day_is_realistic_for_twelve_windows(demo_config):
    m = ArrivalModel(demo_config, random.Random(7))
    start = datetime(2026, 11, 23, 8, 30)
    plan = m.plan_day(start, start.replace(hour=17, minute=30), bookings=12)
    # a real hall: 2,000-7,000 a day over 70-120 windows, about 30-60 a window
    assert 12 * 30 <= len(plan.citizens) <= 12 * 60
    kinds = {c.kind for c in plan.citizens}
    assert kinds == {"normal", "priority", "appointment"}
    assert any(c.no_show for c in plan.citizens)
    for c in plan.citizens:
        if c.kind != "appointment":
            assert m.rate_per_minute(c.service, c.at) > 0, c
    assert [c.at for c in plan.citizens] == sorted(c.at for c in plan.citizens)


def test_day_shape_peaks_mid_morning():
    assert day_shape(time(9, 30)) > day_shape(time(8, 40))
    assert day_shape(time(9, 30)) > day_shape(time(16, 50))


class Person:
    def __init__(self, no_show=False, rating=None):
        self.no_show, self.rating = no_show, rating


def _clerk(queue, window, citizens, seed=3):
    return WindowStaff(window, QueueDesk(queue, window), queue, random.Random(seed), citizens,
                       {"A": 6.0, "B": 5.0}, [4], staff_id=1001, transfer_share=0.0, away_per_hour=0.0)


def _run(clerk, clock, minutes, step_s=10):
    for _ in range(int(minutes * 60 / step_s)):
        clock.advance(seconds=step_s)
        clerk.tick(clock())


def test_clerk_calls_serves_and_the_citizen_rates(queue, clock, db_path):
    t = queue.issue("A")
    citizens = {t.number: Person(rating=4)}
    clerk = _clerk(queue, 1, citizens)
    clerk.start()
    _run(clerk, clock, 40)
    done = queue.ticket(t.id)
    assert done.status == "finished"
    summary = Figures(db_path).summary("2026-11-23")
    assert summary.ratings == {4: 1}
    assert queue.window_state(1).staff == "1001"


def test_clerk_recalls_then_skips_a_no_show(queue, clock):
    t = queue.issue("A")
    clerk = _clerk(queue, 1, {t.number: Person(no_show=True)})
    _run(clerk, clock, 5)
    assert queue.ticket(t.id).status == "skipped"
    assert queue.ticket(t.id).to_json()["number"] == t.number


def test_clerk_takes_lunch_and_comes_back(demo_config, db_path):
    clock = FixedClock(datetime(2026, 11, 23, 11, 58))
    q = HallQueue(db_path, demo_config, clock)
    clerk = _clerk(q, 2, {})
    _run(clerk, clock, 10)
    ws = q.window_state(2)
    assert ws.state == "paused" and ws.pause_reason == "lunch"
    clock.set(datetime(2026, 11, 23, 14, 10))
    _run(clerk, clock, 2)
    assert q.window_state(2).state == "idle"
    q.close()


def test_figures_count_what_happened(queue, clock, db_path):
    a1, a2, b1 = queue.issue("A"), queue.issue("A", priority=True), queue.issue("B")
    clock.advance(minutes=4)
    assert queue.call_next(1).number == a2.number       # priority first
    clock.advance(minutes=6)
    queue.finish(1)
    queue.rate(1, 5)
    assert queue.call_next(2).number == a1.number
    clock.advance(minutes=1)
    queue.skip(2)
    figures = Figures(db_path)
    s = figures.summary("2026-11-23")
    assert (s.issued, s.served, s.no_shows, s.still_waiting) == (3, 1, 1, 1)
    assert s.by_kind == {"normal": 2, "priority": 1}
    assert s.calls == 2 and s.ratings == {5: 1} and s.mean_rating == 5.0
    assert s.mean_wait_min == 7.0          # (4 + 10) / 2 minutes from issue to first call
    assert s.mean_handling_min == 6.0
    st = figures.status("2026-11-23", "09:11")
    assert (st.issued, st.waiting, st.served, st.calls) == (3, 1, 1, 2)
    assert "09:11" in st.line() and "issued" in st.line()
    figures.close()


def test_status_printer_writes_lines_to_a_log():
    import io

    from jiaohao.demo.figures import Status
    from jiaohao.demo.report import StatusPrinter
    out = io.StringIO()
    p = StatusPrinter(out, every_s=0)
    p(Status("08:30", 0, 0, 0, 0, 0, 0))
    p(Status("08:31", 2, 1, 0, 1, 1, 0))
    p.done()
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and lines[1].startswith("08:31") and lines[2] == lines[1]

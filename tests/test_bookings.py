"""Bookings on the queue: slot arithmetic over a holiday week, capacity, one per person,
cancellation cut-off, check-in by code and ID number, late arrivals, 爽约 and suspension."""
from __future__ import annotations

import sqlite3
from datetime import date, datetime

import pytest

from hall import FixedClock, HallQueue
from hall import booking_slots as bs
from hall.bookings import AlreadyBooked, BookingClosed, BookingSuspended, SlotFull
from hall.errors import InvalidArgument, UnknownTicket
from tests.booking_helpers import booking_hall, valid_id


@pytest.fixture
def hall_cfg(tmp_path):
    return booking_hall(tmp_path, capacity=2)[1]


@pytest.fixture
def clock():
    return FixedClock(datetime(2026, 11, 23, 10, 0))  # a Monday


@pytest.fixture
def q(tmp_path, hall_cfg, clock):
    queue = HallQueue(tmp_path / "hall.sqlite", hall_cfg, clock)
    yield queue
    queue.close()


def test_national_day_week_window_skips_holidays_and_uses_makeup_saturday(hall_cfg):
    cal = bs.calendar_of(hall_cfg)
    days = bs.booking_days(hall_cfg, cal, date(2026, 9, 30))
    # 1-7 October are holidays; Saturday 10 October is a make-up working day (调休)
    assert days == [date(2026, 10, 8), date(2026, 10, 9), date(2026, 10, 10), date(2026, 10, 12),
                    date(2026, 10, 13)]
    sat = bs.slots_on(hall_cfg, cal, "A", date(2026, 10, 10))  # Monday's template
    assert [s.label for s in sat][:2] == ["09:00-09:30", "09:30-10:00"] and len(sat) == 12
    assert bs.slots_on(hall_cfg, cal, "C", date(2026, 10, 10)) == []  # C: Tuesdays and Thursdays
    assert [s.label for s in bs.slots_on(hall_cfg, cal, "C", date(2026, 10, 8))] == ["09:00-10:00", "10:00-11:00"]
    assert bs.slots_on(hall_cfg, cal, "A", date(2026, 10, 2)) == []  # a holiday
    assert bs.slots_on(hall_cfg, cal, "A", date(2026, 10, 11)) == []  # an ordinary Sunday


def test_spring_festival_and_closed_days(tmp_path):
    cfg = booking_hall(tmp_path, closed='["2026-02-13"]')[1]
    cal = bs.calendar_of(cfg)
    days = bs.booking_days(cfg, cal, date(2026, 2, 11))
    # 12th, (13th closed), 14th a make-up Saturday, then the festival until the 24th
    assert days[:3] == [date(2026, 2, 12), date(2026, 2, 14), date(2026, 2, 24)]
    assert len(days) == 5


def test_book_fills_capacity_and_refuses_the_next(q):
    slot = datetime(2026, 11, 24, 9, 30)
    a = q.book("A", slot, "张三", "13800138000", valid_id(1))
    q.book("A", slot, "李四", "13800138001", valid_id(2))
    with pytest.raises(SlotFull):
        q.book("A", slot, "王五", "13800138002", valid_id(3))
    assert len(a.code) == 8 and a.status == "booked" and a.name == "张*" and a.mobile == "138****8000"
    assert a.id_number.endswith(valid_id(1)[-4:]) and valid_id(1)[:14] not in a.id_number
    left = {s["label"]: s["left"] for s in q.booking_slots("A", date(2026, 11, 24))}
    assert left["09:30-10:00"] == 0 and left["09:00-09:30"] == 2
    # nothing personal in the clear but name and mobile; no ID number anywhere in the file
    raw = sqlite3.connect(q.path).execute("SELECT * FROM appointments").fetchall()
    assert valid_id(1) not in repr(raw)
    events = sqlite3.connect(q.path).execute("SELECT data FROM events WHERE kind = 'booked'").fetchall()
    assert events and "13800138000" not in repr(events) and "张三" not in repr(events)


def test_one_active_booking_per_person_service_day(q):
    q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))
    with pytest.raises(AlreadyBooked):
        q.book("A", datetime(2026, 11, 24, 15, 0), "张三", "13800138000", valid_id(1))
    q.book("A", datetime(2026, 11, 25, 9, 0), "张三", "13800138000", valid_id(1))  # another day
    b = q.book("C", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))  # another service
    q.cancel_booking(b.code, mobile="13800138000")
    q.book("C", datetime(2026, 11, 24, 10, 0), "张三", "13800138000", valid_id(1))  # after cancelling


def test_window_cutoff_and_bad_input(q, clock):
    with pytest.raises(BookingClosed):  # today is not bookable (same_day = false)
        q.book("A", datetime(2026, 11, 23, 15, 0), "张三", "13800138000", valid_id(1))
    with pytest.raises(BookingClosed):  # the 6th working day ahead
        q.book("A", datetime(2026, 12, 1, 9, 0), "张三", "13800138000", valid_id(1))
    with pytest.raises(InvalidArgument, match="check digit"):
        q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1)[:-1] + "5")
    with pytest.raises(InvalidArgument, match="11 digits"):
        q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "1380013800", valid_id(1))
    b = q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))
    with pytest.raises(UnknownTicket):  # the wrong mobile: as if unknown
        q.cancel_booking(b.code, mobile="13900000000")
    clock.set(datetime(2026, 11, 24, 8, 30))  # 30 min before: past the 60-minute cut-off
    with pytest.raises(BookingClosed):
        q.cancel_booking(b.code, mobile="13800138000")


def test_check_in_by_code_and_by_id_number_goes_ahead_of_walk_ins(q, clock):
    b1 = q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))
    q.book("A", datetime(2026, 11, 24, 9, 30), "李四", "13800138001", valid_id(2))
    clock.set(datetime(2026, 11, 24, 8, 50))
    walk = q.issue("A")
    t1 = q.check_in(b1.code.lower())
    clock.set(datetime(2026, 11, 24, 9, 5))
    t2 = q.check_in(valid_id(2))  # the ID number, as the kiosk's keypad types it
    assert t1.kind == t2.kind == "appointment" and t2.appointment != valid_id(2)
    assert q.booking(b1.code).status == "checked_in"
    assert q.ticket_mobile(t1.id) == "13800138000" and q.ticket_mobile(walk.id) is None
    q.login(1, "S1")
    assert q.call_next(1).id == t1.id  # its slot (09:00) has come: ahead of the walk-in
    assert q.call_next(1).id == walk.id  # 09:30 has not
    with pytest.raises(UnknownTicket, match="ID number") as e:
        q.check_in(valid_id(9))
    assert valid_id(9) not in str(e.value) + e.value.zh


@pytest.mark.parametrize("late", ["walk_in", "expire"])
def test_late_arrival_is_a_no_show_then_walk_in_or_refused(tmp_path, late):
    cfg = booking_hall(tmp_path, late=late)[1]
    clock = FixedClock(datetime(2026, 11, 23, 10, 0))
    q = HallQueue(tmp_path / "h.sqlite", cfg, clock)
    b = q.book("A", datetime(2026, 11, 24, 9, 0), "张三", "13800138000", valid_id(1))
    clock.set(datetime(2026, 11, 24, 9, 46))  # slot end 09:30 + 15 min grace
    if late == "expire":
        with pytest.raises(InvalidArgument, match="expired"):
            q.check_in(b.code)
    else:
        t = q.check_in(b.code)
        assert t.kind == "normal" and q.ticket_mobile(t.id) == "13800138000"
    assert q.booking(b.code).status == "no_show"
    q.close()


def test_no_shows_suspend_then_a_manager_lifts_it_and_it_survives_restart(tmp_path, hall_cfg):
    clock = FixedClock(datetime(2026, 11, 23, 10, 0))
    path = tmp_path / "h.sqlite"
    q = HallQueue(path, hall_cfg, clock)
    for day in (24, 25):
        q.book("A", datetime(2026, 11, day, 9, 0), "张三", "13800138000", valid_id(1))
    clock.set(datetime(2026, 11, 25, 9, 44))
    assert q.sweep_no_shows() == 1  # the 24th; the 25th is still within its grace
    clock.set(datetime(2026, 11, 25, 9, 46))
    assert q.sweep_no_shows() == 1
    q.close()
    q = HallQueue(path, hall_cfg, clock)  # restart: the suspension is in the database
    with pytest.raises(BookingSuspended) as e:
        q.book("A", datetime(2026, 11, 26, 9, 0), "张三", "13800138000", valid_id(1))
    assert e.value.until == "2026-12-05 09:46" and "爽约2次" in e.value.zh
    assert q.suspension_for(valid_id(1))["until"] == "2026-12-05 09:46"
    [s] = q.suspensions()
    assert valid_id(1) not in repr(s) and len(s["no_shows"]) == 2
    with pytest.raises(InvalidArgument):
        q.lift_suspension(s["id"], "", by="M1")
    q.lift_suspension(s["id"], "本人生病，有医院证明", by="M1")
    assert q.suspensions() == []
    q.book("A", datetime(2026, 11, 26, 9, 0), "张三", "13800138000", valid_id(1))
    kinds = [r[0] for r in sqlite3.connect(path).execute(
        "SELECT kind FROM events WHERE kind LIKE 'booking_%' ORDER BY id")]
    assert kinds == ["booking_no_show", "booking_no_show", "booking_suspended", "booking_suspension_lifted"]
    q.close()


def test_csv_appointments_fill_the_same_slots(q):
    q.add_appointments([("YY001", "A", datetime(2026, 11, 24, 9, 40), "赵六")])
    q.book("A", datetime(2026, 11, 24, 9, 30), "张三", "13800138000", valid_id(1))
    with pytest.raises(SlotFull):
        q.book("A", datetime(2026, 11, 24, 9, 30), "李四", "13800138001", valid_id(2))


def test_rate_limit_counts_and_refuses(q):
    from hall.bookings import TooManyBookings
    for _ in range(3):
        q.count_attempt("ip", "127.0.0.1", 3, 3600)
    with pytest.raises(TooManyBookings):
        q.count_attempt("ip", "127.0.0.1", 3, 3600)
    q.count_attempt("ip", "127.0.0.2", 3, 3600)


@pytest.mark.parametrize("extra, field, words", [
    ('\n[[booking.slots]]\nservice = "Z"\nperiods = ["09:00-10:00"]\ncapacity = 1\n', "booking.slots[2].service",
     "unknown service 'Z'"),
    ('\n[[booking.slots]]\nservice = "A"\ndays = ["mon"]\nperiods = ["11:00-13:00"]\ncapacity = 1\n',
     "booking.slots[2].periods", "overlaps booking.slots[0]"),
    ('\n[[booking.slots]]\nservice = "B"\ndays = ["monday"]\nperiods = ["09:00-10:00"]\ncapacity = 1\n',
     "booking.slots[2].days", ""),
    ('\n[[booking.slots]]\nservice = "B"\nperiods = ["9-10"]\ncapacity = 1\n', "booking.slots[2].periods",
     "time range"),
])
def test_bad_booking_config_names_file_line_and_field(tmp_path, extra, field, words):
    from config import ConfigError
    with pytest.raises(ConfigError) as e:
        booking_hall(tmp_path, extra=extra)
    text = str(e.value)
    assert "hall.toml" in text and field in text and words in text, text
    assert e.value.line is not None


def test_bad_closed_day_is_refused(tmp_path):
    from config import ConfigError
    with pytest.raises(ConfigError, match="2026-13-01"):
        booking_hall(tmp_path, closed='["2026-13-01"]')


def test_calendar_overrides_move_the_window(tmp_path):
    extra = '\n[calendar]\nholidays = ["2026-11-25"]\nworkdays = ["2026-11-28"]\n'
    cfg = booking_hall(tmp_path, extra=extra)[1]
    cal = bs.calendar_of(cfg)
    assert bs.booking_days(cfg, cal, date(2026, 11, 23)) == [
        date(2026, 11, 24), date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)]
    assert len(bs.slots_on(cfg, cal, "A", date(2026, 11, 28))) == 12  # an opened Saturday: Monday's slots

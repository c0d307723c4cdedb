"""The kiosk's home screen as data (no Qt): availability, zones, paging, estimated waits,
and the flow's screens and double-tap guard."""
from __future__ import annotations

from datetime import datetime, time

import pytest

from kiosk import flow as F
from hall.snapshot import HallReader, estimate_wait
from kiosk.model import CAP, CLOSED, build_tiles, next_opening, paginate
from kiosk.pins import hash_pin

GREEN_7788, TECH_2468 = hash_pin("7788"), hash_pin("2468")


@pytest.fixture
def reader(queue, demo_config, db_path, clock):
    r = HallReader(db_path, demo_config, clock)
    yield r
    r.close()


@pytest.mark.parametrize("waiting, minutes, windows, expected", [
    (0, 8, 3, 0), (1, 8, 1, 8), (5, 6, 4, 8), (5, 15, 2, 38), (1, 1, 10, 1), (3, 5, 0, 15),
])
def test_estimate_wait(waiting, minutes, windows, expected):
    assert estimate_wait(waiting, minutes, windows) == expected


def test_waits_fall_back_to_expected_minutes_then_follow_handling_times(queue, reader, clock):
    for _ in range(6):
        queue.issue("C")  # 不动产登记: 15 expected minutes, windows 4 and 5
    fig = reader.snapshot().services["C"]
    assert (fig.waiting, fig.handling_minutes, fig.measured, fig.windows_open) == (6, 15, False, 2)
    assert fig.wait_minutes == 45
    for _ in range(3):  # three handled in 4 minutes each at window 4
        queue.call_next(4)
        clock.advance(minutes=4)
        queue.finish(4)
    fig = reader.snapshot().services["C"]
    assert fig.measured and fig.handling_minutes == 4.0
    assert fig.waiting == 3 and fig.wait_minutes == 6  # 3 people x 4 min / 2 windows


def test_paused_and_closed_windows_do_not_count(queue, reader):
    queue.issue("H")  # 婚姻登记: only window 11
    queue.login(11, "王")
    queue.pause(11, "lunch")
    fig = reader.snapshot().services["H"]
    assert fig.windows_open == 0 and fig.wait_minutes == 12  # counted as one window, not infinite


def test_an_unreadable_database_keeps_the_last_figures(queue, reader, tmp_path):
    queue.issue("A")
    assert reader.snapshot().services["A"].waiting == 1
    reader.close()
    broken = tmp_path / "broken.sqlite"
    broken.write_bytes(b"this is not a database" * 100)
    reader.path = str(broken)
    snap = reader.snapshot()
    assert not snap.ok and snap.services["A"].waiting == 1


def test_tiles_say_why_a_service_is_unavailable(queue, reader, demo_config, clock):
    for _ in range(60):
        queue.issue("H")  # cap 60
    snap = reader.snapshot()
    tiles = {t.code: t for t in build_tiles(demo_config, snap, clock())}
    assert tiles["A"].available and tiles["A"].reason is None
    assert not tiles["H"].available and tiles["H"].reason == CAP
    priority = {t.code: t for t in build_tiles(demo_config, snap, clock(), priority=True)}
    assert priority["H"].available  # green-channel tickets are outside the cap
    lunch = {t.code: t for t in build_tiles(demo_config, snap, datetime(2026, 11, 23, 12, 30))}
    assert lunch["A"].reason == CLOSED and lunch["A"].opens_at == time(14, 0)
    evening = {t.code: t for t in build_tiles(demo_config, snap, datetime(2026, 11, 23, 18, 0))}
    assert evening["A"].reason == CLOSED and evening["A"].opens_at is None
    assert len(tiles) == 8  # unavailable services are shown, not hidden


def test_next_opening(demo_config):
    h = demo_config.service("H")
    assert next_opening(h, datetime(2026, 11, 23, 8, 0)) == time(9, 0)
    assert next_opening(h, datetime(2026, 11, 23, 10, 0)) == time(14, 0)
    assert next_opening(h, datetime(2026, 11, 23, 17, 30)) is None


def test_pages_group_tiles_by_zone(demo_config, reader, clock):
    tiles = build_tiles(demo_config, reader.snapshot(), clock())
    pages = paginate(tiles, 4)
    assert len(pages) == 2
    first = pages[0]
    assert [g.zone for g in first] == ["社保医保专区", "不动产专区", "公安专区"]
    assert [t.code for t in first[0].tiles] == ["A", "B"]
    assert sum(len(g.tiles) for p in pages for g in p) == 8
    assert len(paginate(tiles, 12)) == 1
    assert paginate([], 4) == [[]]
    with pytest.raises(ValueError):
        paginate(tiles, 0)


def test_zones_are_kept_together_even_when_the_config_interleaves_them(demo_config, reader, clock):
    tiles = build_tiles(demo_config, reader.snapshot(), clock())
    mixed = [tiles[0], tiles[2], tiles[1]]  # A (社保), C (不动产), B (社保)
    groups = paginate(mixed, 12)[0]
    assert [(g.zone, [t.code for t in g.tiles]) for g in groups] == [
        ("社保医保专区", ["A", "B"]), ("不动产专区", ["C"])]


# -- the flow -------------------------------------------------------------------------

def test_one_tap_one_request_and_double_taps_are_ignored():
    f = F.KioskFlow()
    r = f.tap_service("A")
    assert r is not None and r.service == "A" and not r.priority and f.screen == F.ISSUING
    assert f.tap_service("A") is None and f.tap_service("B") is None
    f.issued(r, "ticket")
    assert f.screen == F.DONE and f.ticket == "ticket"
    assert f.tap_service("A") is None  # the done screen is not home
    f.finished()
    assert f.screen == F.HOME and f.tap_service("A") is not None


def test_confirm_step_and_stale_results():
    f = F.KioskFlow(confirm=True)
    assert f.tap_service("B") is None and f.screen == F.CONFIRM
    r = f.confirm()
    assert r.service == "B" and f.confirm() is None
    f.issued(F.IssueRequest(999, "B"), "stale")  # not the pending request: ignored
    assert f.screen == F.ISSUING
    f.failed(r, F.Message(F.MSG_BUSY))
    assert f.screen == F.MESSAGE and f.message.code == F.MSG_BUSY and not f.busy


def test_unavailable_tap_explains_and_requests_nothing():
    f = F.KioskFlow()
    assert f.tap_service("H", available=False, reason=CAP) is None
    assert f.screen == F.MESSAGE and f.message.code == F.MSG_CAP


def test_printer_down_pauses_everything_until_it_recovers():
    f = F.KioskFlow()
    r = f.tap_service("A")
    f.failed(r, F.Message(F.MSG_ERROR), printer_down=True)
    assert f.paused and f.screen == F.HOME
    assert f.tap_service("A") is None and f.check_in("YY1") is None
    assert f.printer(True) and not f.paused
    assert f.tap_service("A") is not None


def test_green_channel_rules():
    f = F.KioskFlow(priority_rule="open")
    f.green_channel()
    assert f.priority and f.tap_service("A").priority
    g = F.KioskFlow(priority_rule="pin", priority_pin_hash=GREEN_7788, technician_pin_hash=TECH_2468)
    g.green_channel()
    assert g.screen == F.PRIORITY_PIN
    assert not g.enter_pin("2468") and g.message.code == F.MSG_WRONG_PIN  # the technician PIN is not it
    assert g.enter_pin("7788") and g.priority and g.screen == F.HOME
    g.back()
    assert not g.priority


def test_idle_reset_keeps_the_printer_state_and_never_interrupts_printing():
    f = F.KioskFlow(language="zh_CN")
    f.toggle_elderly()
    f.toggle_language()
    f.printer(False)
    assert f.english and f.elderly
    assert f.timeout()
    assert not f.english and not f.elderly and f.paused
    f.printer(True)
    r = f.tap_service("A")
    assert not f.timeout() and f.pending == r


def test_technician_pin_unlocks_the_menu():
    f = F.KioskFlow(technician_pin_hash=TECH_2468)
    f.technician()
    assert f.screen == F.TECH_PIN
    assert not f.enter_pin("0000") and not f.unlocked
    assert f.enter_pin("2468") and f.unlocked and f.screen == F.TECH_MENU
    assert not f.timeout()  # the kiosk's idle reset leaves the menu to its own, longer timeout
    assert f.close_menu() and f.screen == F.HOME and not f.unlocked


def test_the_queue_judges_opening_hours_when_given(demo_config, reader, clock):
    tiles = {t.code: t for t in build_tiles(demo_config, reader.snapshot(), clock(),
                                            open_now=lambda code: code != "B")}
    assert tiles["A"].available and not tiles["B"].available and tiles["B"].reason == CLOSED

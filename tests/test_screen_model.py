"""The hall screen's model without widgets: which calls show, for how long, in which order."""
from __future__ import annotations

import pytest

from display.screen_model import ScreenModel


class Ticker:
    """A clock for the highlight queue that moves only when told."""

    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


@pytest.fixture
def ticker():
    return Ticker()


@pytest.fixture
def model(queue, ticker):
    return ScreenModel(queue, clock=ticker)


def issue_and_call(queue, pairs):
    """pairs: (service, window); issues one ticket per pair, then calls them in order."""
    for service, _ in pairs:
        queue.issue(service)
    return [queue.call_next(window) for _, window in pairs]


def run(model, ticker, seconds, step=0.5):
    end = ticker.t + seconds
    while ticker.t < end:
        model.update()
        ticker.t += step
    model.update()


def test_calls_arriving_together_each_stay_the_minimum_time(queue, model, ticker):
    issue_and_call(queue, [("A", 1), ("A", 2), ("C", 4), ("D", 6)])
    run(model, ticker, 40)
    shown = model.shown_log
    assert [c.text_zh for _, c in shown] == ["请A001号到1号窗口", "请A002号到2号窗口",
                                             "请C001号到4号窗口", "请D001号到6号窗口"]
    times = [t for t, _ in shown]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(g >= model.min_show for g in gaps), gaps
    assert all(g < model.min_show + 1 for g in gaps), gaps  # and not much longer when others wait


def test_a_lone_call_shows_at_once_and_flashes_for_flash_seconds(queue, model, ticker):
    issue_and_call(queue, [("B", 3)])
    assert model.update()
    assert model.highlight.number == "B001" and model.flashing
    ticker.t += model.flash_seconds - 0.1
    assert model.flashing
    ticker.t += 0.2
    assert not model.flashing
    assert model.highlight.number == "B001"   # stays large after the flashing stops


def test_recent_calls_newest_first_limited_and_recall_moves_to_top(queue, model, ticker, demo_config):
    limit = demo_config.screen.recent_calls
    for _ in range(limit + 2):
        queue.issue("A")
    for i in range(limit + 2):
        queue.call_next(1 + i % 3)
    model.update()
    recent = [c.number for c in model.recent]
    assert len(recent) == limit
    assert recent[0] == f"A{limit + 2:03d}" and recent[-1] == "A003"
    queue.call_next(1)  # nobody left: nothing called, the window finishes
    queue.issue("A")
    last = queue.call_next(2)
    queue.recall(2)
    model.update()
    assert model.recent[0].number == last.number and model.recent[0].recall
    assert [c.number for c in model.recent].count(last.number) == 1


def test_same_call_pending_twice_is_highlighted_once(queue, model, ticker):
    issue_and_call(queue, [("A", 1), ("A", 2)])
    queue.recall(2)
    queue.recall(2)
    run(model, ticker, 30)
    assert [c.number for _, c in model.shown_log] == ["A001", "A002"]


@pytest.mark.parametrize("reason, label", [("away", "离岗"), ("lunch", "午休"), ("meeting", "会议"), (None, "暂停服务")])
def test_paused_windows_show_their_reason(queue, model, reason, label):
    queue.pause(5, reason)
    model.update()
    view = model.window(5)
    assert view.state == "paused" and view.label_zh == label
    queue.resume(5)
    model.update()
    assert model.window(5).label_zh == "空闲"


def test_windows_show_current_numbers_and_clear_when_finished(queue, model):
    issue_and_call(queue, [("C", 4)])
    model.update()
    assert model.window(4).current == "C001" and model.window(4).label_zh == "C001"
    queue.finish(4)
    model.update()
    assert model.window(4).current is None
    queue.logout(4)
    model.update()
    assert model.window(4).label_zh == "未开放"


def test_waiting_counts_per_zone(queue, model):
    for code in "AABCCCH":
        queue.issue(code)
    queue.call_next(4)
    model.update()
    zones = {z.zone: z for z in model.state().zones}
    assert zones["社保医保专区"].waiting == 3
    assert dict((c, n) for c, _, n in zones["社保医保专区"].services) == {"A": 2, "B": 1}
    assert zones["不动产专区"].waiting == 2
    assert zones["婚姻登记专区"].waiting == 1
    assert model.state().waiting_total == 6


def test_restart_catches_up_from_the_queue(queue, ticker):
    issue_and_call(queue, [("A", 1), ("E", 7), ("F", 8)])
    queue.pause(2, "meeting")
    fresh = ScreenModel(queue, clock=ticker)       # a screen switched on after the calls
    assert fresh.highlight.text_zh == "请F001号到8号窗口"
    assert not fresh.flashing and fresh.pending == ()
    assert [c.number for c in fresh.recent] == ["F001", "E001", "A001"]
    assert fresh.window(7).current == "E001" and fresh.window(2).label_zh == "会议"
    assert not fresh.update()                       # nothing new: nothing replayed


def test_day_close_clears_the_calls(queue, model, clock):
    issue_and_call(queue, [("A", 1)])
    model.update()
    clock.advance(days=1)
    queue.roll_day()
    model.update()
    assert model.highlight is None and model.recent == ()
    assert model.window(1).current is None


def test_notice_and_hall_name_come_from_the_config(model, demo_config):
    state = model.state()
    assert state.notice == demo_config.hall.notice
    assert state.hall_name == "瑶海区政务服务中心"


def test_a_burst_of_calls_is_shown_faster_but_each_for_busy_show_seconds(queue, model, ticker):
    pairs = [(s, w) for s, w in [("A", 1), ("A", 2), ("B", 3), ("C", 4), ("C", 5), ("D", 6), ("E", 7),
                                 ("F", 8), ("G", 9), ("G", 10), ("H", 11), ("A", 12)]]
    issue_and_call(queue, pairs)
    run(model, ticker, 80)
    shown = model.shown_log
    assert len(shown) == 12
    times = [t for t, _ in shown]
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) >= model.busy_show
    assert times[-1] - times[0] < 11 * model.min_show * 0.7  # well under 12 x 6 s
    assert gaps[-1] >= model.min_show  # the tail of the burst gets the full time again


def test_a_call_skipped_before_its_turn_is_not_highlighted(queue, model, ticker):
    issue_and_call(queue, [("A", 1), ("C", 4), ("D", 6)])
    model.update()
    queue.skip(4)  # C001 was a no-show before the screen got to it
    run(model, ticker, 30)
    assert [c.number for _, c in model.shown_log] == ["A001", "D001"]
    assert "C001" in [c.number for c in model.recent]  # still listed as called

"""A network cut between the hall's LAN and the controller during 20 calls: the TV
screen's PC and a window PC reach `serve` through the fault proxy; the calls are made
on the controller's side (keypads on its bus), so they go on while the cut lasts.

While cut off, the hall screen says 连接中断，正在重连 and shows no call as current
(asserted on its model at every repaint); the software caller's keys are off with the
reason, and a key press is refused at once, never queued. After the cut heals, every
call reaches the screen exactly once (none missed, none doubled), the voice has said
each call exactly once, and the window PC works again. The cut lasts
``JIAOHAO_CUT_S`` seconds (6 by default); ``test_a_60_s_cut`` is the real minute.

Figures printed: recovery time after the heal (the screen has every call made during
the cut), announcements missed and doubled."""
from __future__ import annotations

import os
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")

from drivers.windowbus.codec import EventCode  # noqa: E402
from tests.fault_proxy import FaultProxy  # noqa: E402
from tests.net_clients import WAIT_MS, make_panel, remote  # noqa: E402,F401
from tests.net_helpers import EventStreamReader, db_event_ids, hall, post_once, wait_until  # noqa: E402,F401

pytestmark = pytest.mark.slow

CALLS = 20
WINDOWS = (2, 3, 12, 4, 5)  # A at 2, 3, 12; C at 4, 5 (the demo hall); window 1 is the software caller's
CUT_S = float(os.environ.get("JIAOHAO_CUT_S", "6"))
GRACE_S = 3.0  # hall.remote.LINK_GRACE_S: a break shorter than this is not said on screen


class Calls(threading.Thread):
    """``CALLS`` calls, one every ``gap_s``, rotating over WINDOWS, each retried with its key."""

    def __init__(self, hall, gap_s: float):
        super().__init__(name="calls", daemon=True)
        self.ctl = hall.client("controller-1", timeout=3)
        self.gap_s = gap_s
        self.t0 = 0.0
        self.made: list[tuple[float, int, str]] = []  # (time, window, number)
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.t0 = time.monotonic()
            for i in range(CALLS):
                pause = self.t0 + i * self.gap_s - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                w = WINDOWS[i % len(WINDOWS)]
                r = post_once(self.ctl, f"/windows/{w}/call", within_s=30)
                assert r.status_code == 200, r.text
                self.made.append((time.monotonic(), w, r.json()["number"]))
        except BaseException as e:  # noqa: BLE001 - reported by the test
            self.error = e


def _shot(widget, name: str, docs: bool) -> None:
    """The widget as drawn now, to the test's temp folder and, when asked, to docs/screenshots."""
    from tests.net_helpers import ROOT
    path = ROOT / "docs" / "screenshots" / f"{name}.png" if docs else None
    image = widget.grab()
    image.save(str(Path(os.environ.get("TMPDIR", "/tmp")) / f"jiaohao-{name}.png"))
    if path is not None:
        assert image.save(str(path)), path


def _prepare(hall):
    ctl = hall.client("controller-1")
    for w in WINDOWS:
        assert post_once(ctl, f"/windows/{w}/login", {"staff": f"{w:02d}01"}).status_code == 200
    kiosk = hall.client("kiosk-1")
    for service, n in (("A", 13), ("C", 9)):
        for _ in range(n):
            assert post_once(kiosk, "/tickets", {"service": service}).status_code == 201


def _screen(qtbot, remote, url: str):
    """The TV screen's model and widget on the screen PC's RemoteHall (through ``url``),
    showing each call 1 s (the shortest setting), so the test does not wait 6 s a call."""
    from display.screen import HallScreen
    from display.screen_model import ScreenModel
    cfg = remote.config.model_copy(update={"screen": remote.config.screen.model_copy(
        update={"min_show_seconds": 1.0, "busy_show_seconds": 1.0, "flash_seconds": 1.0})})
    model = ScreenModel(remote("screen-1", url), cfg)
    learned: list[int] = []  # event id of every call the screen took in
    remember = model._remember

    def spy(call):
        learned.append(call.event_id)
        remember(call)
    model._remember = spy
    learned.clear()  # the catch-up at start is not part of the test
    widget = HallScreen(model, poll_ms=100)
    qtbot.addWidget(widget)
    remote.widgets.append(widget)
    widget.resize(1920, 1080)
    widget.show()
    return model, widget, learned


def run_cut(hall, remote, qtbot, cut_s: float, shots: bool) -> dict:
    _prepare(hall)
    proxy = FaultProxy(hall.port, lifetime_s=cut_s + 180)
    proxy.start()
    try:
        start = hall.serve.health()["last_event_id"]
        model, widget, learned = _screen(qtbot, remote, proxy.url)
        reader = EventStreamReader(proxy.url, hall.tokens["screen-1"], after=start, lifetime_s=cut_s + 120).start()
        panel = make_panel(qtbot, remote, 1, proxy.url)
        panel.resize(1000, 640)  # as `jiaohao caller` opens it
        assert panel.press(EventCode.LOGIN, 101).ok
        qtbot.waitUntil(lambda: model.queue._events is not None and model.queue._events.connected, timeout=WAIT_MS)
        gap = cut_s / 10.0  # 5 calls before the cut, 10 during it, 5 after
        calls = Calls(hall, gap)
        calls.start()
        qtbot.waitUntil(lambda: len(calls.made) >= 5 or calls.error is not None, timeout=int(10_000 + 6000 * gap))
        time.sleep(gap / 2)
        proxy.refuse(cut_s)
        cut_at = time.monotonic()
        heal_at = cut_at + cut_s
        samples, refused_press, shot_taken = [], None, False
        while time.monotonic() < heal_at - 0.3:
            qtbot.wait(50)
            if time.monotonic() - cut_at < GRACE_S + 0.5:
                continue
            s = model.state()
            keys_on = [n for n, b in panel.key_buttons.items() if b.isEnabled()]
            if panel.book_button is not None and panel.book_button.isEnabled():
                keys_on.append("预约")
            samples.append((s.link_down, s.highlight, [w.current for w in s.windows], s.notice,
                            widget.state.highlight, keys_on, panel.message.text()))
            if refused_press is None:
                refused_press = panel.model.press(EventCode.CALL)
            if not shot_taken and time.monotonic() - cut_at > GRACE_S + 1.5:
                _shot(widget, "screen-cut", shots)
                _shot(panel, "caller-cut", shots)
                shot_taken = True
        # -- during the cut: said in words, nothing shown as current, keys off ----------------
        assert samples, "no sample was taken during the cut"
        for link_down, highlight, currents, notice, painted, keys_on, message in samples:
            assert link_down and highlight is None and painted is None, (highlight, painted)
            assert all(c is None for c in currents), currents
            assert notice.startswith("连接中断，正在重连")
            assert keys_on == [], keys_on
            assert "连接中断" in message and "按键暂不可用" in message, message
        outcome = refused_press
        assert not outcome.ok and outcome.note == "连接中断"
        assert panel.ticket.styleSheet()  # the window's own number is drawn as not current
        # -- the heal --------------------------------------------------------------------------
        qtbot.waitUntil(lambda: time.monotonic() >= heal_at, timeout=int(cut_s * 1000) + 5000)
        made_in_cut = [n for t, _, n in calls.made if cut_at <= t < heal_at]
        server_last = hall.serve.health()["last_event_id"]
        qtbot.waitUntil(lambda: model._feed is not None and model._feed.last_id >= server_last
                        and not model.state().link_down, timeout=WAIT_MS)
        recovery_s = time.monotonic() - heal_at
        calls.join(cut_s * 3 + 30)
        assert not calls.is_alive() and calls.error is None, calls.error
        called = db_event_ids(hall.db, ("called",))
        assert len(called) == CALLS  # the press refused during the cut called nobody
        assert hall.client("screen-1").get("/windows/1").json()["current"] is None
        final_last = hall.serve.health()["last_event_id"]
        qtbot.waitUntil(lambda: model._feed.last_id >= final_last and not model.pending, timeout=WAIT_MS)
        # -- every call reached the screen once; highlights never doubled ------------------------
        new_calls = [i for i in called if i > start]
        assert learned == new_calls, (learned, new_calls)
        shown = [c.event_id for _, c in model.shown_log if c.event_id > start]
        assert len(shown) == len(set(shown)), shown
        numbers = [c.number for _, c in model.shown_log if c.event_id > start]
        assert len(numbers) == len(set(numbers)), numbers
        current = {w: hall.client("screen-1").get(f"/windows/{w}").json()["current"] for w in WINDOWS}
        assert set(current.values()) <= set(numbers), (current, numbers)  # each window's last call was shown
        assert reader.wait_for(lambda r: (r.last_id or 0) >= final_last, 10)
        assert reader.ids == db_event_ids(hall.db)[len(db_event_ids(hall.db)) - len(reader.ids):]
        assert len(reader.ids) == len(set(reader.ids))
        # -- the voice said each call once -----------------------------------------------------
        made = [n for _, _, n in calls.made]
        assert wait_until(lambda: set(hall.devices.spoken_numbers()) >= set(made), 15)
        spoken = Counter(hall.devices.spoken_numbers())
        missed = [n for n in made if spoken[n] == 0]
        doubled = sorted(n for n, k in spoken.items() if k > 1)
        assert missed == [] and doubled == [], (missed, doubled)
        # -- the window PC works again: keys on, a key press is one call -------------------------
        qtbot.waitUntil(lambda: panel.key_buttons["CALL"].isEnabled(), timeout=WAIT_MS)
        outcome = panel.press(EventCode.CALL)
        assert outcome.ok and outcome.ticket is not None, outcome
        assert len(db_event_ids(hall.db, ("called",))) == CALLS + 1
        reader.stop()
        return {"cut_s": cut_s, "recovery_s": recovery_s, "calls_in_cut": len(made_in_cut),
                "highlighted": len(shown), "missed": len(missed), "doubled": len(doubled),
                "samples": len(samples)}
    finally:
        proxy.stop()


def test_a_cut_during_20_calls(hall, remote, qtbot):
    f = run_cut(hall, remote, qtbot, CUT_S, shots=os.environ.get("JIAOHAO_SCREENSHOTS") == "docs")
    print(f"\n{f['cut_s']:.0f} s cut, {f['calls_in_cut']} of {CALLS} calls made during it: the screen had every "
          f"call {f['recovery_s']:.2f} s after the heal; {f['highlighted']} highlighted (superseded ones are "
          f"not); voice missed {f['missed']}, doubled {f['doubled']}; {f['samples']} samples during the cut")


@pytest.mark.skipif(os.environ.get("JIAOHAO_LONG") != "1", reason="the real 60 s cut: JIAOHAO_LONG=1")
def test_a_60_s_cut(hall, remote, qtbot):
    f = run_cut(hall, remote, qtbot, 60.0, shots=False)
    print(f"\n60 s cut: every call {f['recovery_s']:.2f} s after the heal; voice missed {f['missed']}, "
          f"doubled {f['doubled']}")


def test_a_key_whose_answer_is_lost_is_retried_and_calls_once(hall, remote, qtbot):
    """The window PC presses 呼叫; the proxy lets the call through to `serve` and drops its
    answer. The panel's hall retries with the same Idempotency-Key: one call, and the
    panel shows its number."""
    _prepare(hall)
    proxy = FaultProxy(hall.port, lifetime_s=60)
    proxy.start()
    try:
        panel = make_panel(qtbot, remote, 1, proxy.url)
        assert panel.press(EventCode.LOGIN, 101).ok
        rule = proxy.drop_responses(1, lambda m, p: m == "POST" and p.endswith("/windows/1/call"))
        outcome = panel.press(EventCode.CALL)
        assert proxy.pending(rule) == 0 and proxy.stats.dropped, proxy.stats.dropped
        assert outcome.ok and outcome.ticket.number == "A001", outcome
        assert len(db_event_ids(hall.db, ("called",))) == 1
        qtbot.waitUntil(lambda: panel.ticket.text() == "A001", timeout=WAIT_MS)
    finally:
        proxy.stop()


def test_a_silent_link_is_noticed_by_the_heartbeat_long_before_the_keep_alive(hall):
    """The screen PC's link goes silent without closing (no FIN, no RST) while its event
    stream waits for a keep-alive every 15 s (37.5 s to notice). The next heartbeat gets
    no answer and makes the stream reconnect: it has the calls made meanwhile within a
    few seconds, once each and in order."""
    from datetime import datetime

    from config import load_hall
    from hall import FixedClock
    from hall.remote import RemoteHall
    from tests.net_helpers import NOW
    _prepare(hall)
    cfg = load_hall(hall.config)
    cfg = cfg.model_copy(update={"server": cfg.server.model_copy(update={"keepalive_seconds": 15.0})})
    proxy = FaultProxy(hall.port, lifetime_s=60)
    proxy.start()
    screen = RemoteHall(proxy.url, hall.tokens["screen-1"], cfg, timeout_s=1.0,
                        clock=FixedClock(datetime.fromisoformat(NOW)))
    try:
        start = screen.last_event_id()
        beat = screen.start_heartbeat("screen", every_s=0.5)
        assert wait_until(lambda: screen._events.connected and beat.beats >= 1, 10)
        assert proxy.stall() >= 1
        t0 = time.monotonic()
        ctl = hall.client("controller-1")
        for w in WINDOWS[:3]:
            assert post_once(ctl, f"/windows/{w}/call").status_code == 200
        expected = [i for i in db_event_ids(hall.db) if i > start]
        assert wait_until(lambda: screen.last_event_id() >= expected[-1], 15), "the silent link was not noticed"
        noticed_s = time.monotonic() - t0
        assert noticed_s < 15  # far below the 37.5 s the keep-alive alone would take
        assert [e.id for e in screen.events_after(start) if e.id <= expected[-1]] == expected
        assert screen._events.reconnects >= 2
        assert wait_until(lambda: beat.failures == 0, 5)  # and beats again
        print(f"\nsilent link noticed by the heartbeat and caught up in {noticed_s:.1f} s (keep-alive 15 s)")
    finally:
        screen.close()
        proxy.stop()

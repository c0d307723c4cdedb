"""The announcer: order, repeat, chime, backlog age, recall de-dup, restart, engine failures."""
from __future__ import annotations

import time

import pytest

from display.announcer import Announcer, components
from drivers.transport import register_sim, unregister_sim
from drivers.tts import SilentEngine
from drivers.tts.serial_engine import SerialTTSEngine
from drivers.tts.simulator import TTSModuleSimulator

A001_W1 = "请A零零一号到一号窗口办理"
A002_W2 = "请A零零二号到二号窗口办理"
C001_W5 = "请C零零一号到五号窗口办理"


@pytest.fixture
def hall(queue):
    for window in (1, 2, 5, 12):
        queue.login(window, f"staff{window}")
    for service in ("A", "A", "A", "C"):
        queue.issue(service)
    return queue


def voice(demo_config, **changes):
    return demo_config.voice.model_copy(update={"repeat": 1, "chime": False, **changes})


def run_all(announcer: Announcer) -> list[str]:
    announcer.poll_once()
    results = []
    while (result := announcer.speak_next()) is not None:
        results.append(result)
    return results


@pytest.fixture
def module():
    sim = TTSModuleSimulator("syn6288", seconds_per_char=0.01)
    register_sim("announcer-test", sim)
    yield sim
    unregister_sim("announcer-test")


def test_calls_are_spoken_in_order_and_repeated(hall, demo_config):
    engine = SilentEngine()
    announcer = Announcer(hall, voice(demo_config, repeat=2), engine=engine)
    hall.call_next(1)
    hall.call_next(5)
    hall.call_next(2)
    assert run_all(announcer) == ["spoken"] * 3
    assert engine.said == [A001_W1, A001_W1, C001_W5, C001_W5, A002_W2, A002_W2]


def test_threaded_announcer_with_chime_never_interrupts_the_module(hall, demo_config, module):
    engine = SerialTTSEngine("sim://announcer-test", "syn6288")
    announcer = Announcer(hall, voice(demo_config, repeat=2, chime=True), engine=engine, poll_s=0.05)
    announcer.start()
    try:
        hall.call_next(1)
        hall.call_next(5)
        hall.call_next(12)
        assert announcer.wait_idle(timeout=20)
    finally:
        announcer.stop()
    b001 = "请A零零二号到十二号窗口办理"
    assert module.spoken == ["soundg", A001_W1, A001_W1, "soundg", C001_W5, C001_W5, "soundg", b001, b001]
    assert module.interrupted == []


def test_calls_older_than_max_age_are_not_spoken(hall, demo_config, clock):
    engine = SilentEngine()
    announcer = Announcer(hall, voice(demo_config, max_age_s=60), engine=engine)
    hall.call_next(1)
    announcer.poll_once()
    clock.advance(seconds=61)
    hall.call_next(5)
    assert run_all(announcer) == ["too_old", "spoken"]
    assert engine.said == [C001_W5]
    assert announcer.too_old == 1


def test_max_age_zero_means_no_limit(hall, demo_config, clock):
    engine = SilentEngine()
    announcer = Announcer(hall, voice(demo_config, max_age_s=0), engine=engine)
    hall.call_next(1)
    announcer.poll_once()
    clock.advance(hours=2)
    assert run_all(announcer) == ["spoken"]


def test_recall_of_a_waiting_call_is_not_queued_twice(hall, demo_config):
    engine = SilentEngine()
    announcer = Announcer(hall, voice(demo_config), engine=engine)
    hall.call_next(1)
    hall.recall(1)
    hall.recall(1)
    hall.call_next(5)
    announcer.poll_once()
    assert [p.number for p in announcer.backlog] == ["A001", "C001"]
    assert announcer.deduplicated == 2
    run_all(announcer)
    assert engine.said == [A001_W1, C001_W5]
    # a recall after the call was spoken is announced again
    hall.recall(1)
    run_all(announcer)
    assert engine.said == [A001_W1, C001_W5, A001_W1]


class HookEngine(SilentEngine):
    """Runs ``hook`` once while it is "speaking", as if staff pressed a key meanwhile."""

    def __init__(self, hook=None):
        super().__init__()
        self.hook = hook

    def speak(self, text: str) -> None:
        super().speak(text)
        hook, self.hook = self.hook, None
        if hook:
            hook()


def test_recall_during_its_own_announcement_is_not_queued(hall, demo_config):
    engine = HookEngine()
    announcer = Announcer(hall, voice(demo_config), engine=engine)
    engine.hook = lambda: (hall.recall(1), announcer.poll_once())
    hall.call_next(1)
    run_all(announcer)
    assert engine.said == [A001_W1]
    assert announcer.deduplicated == 1


def test_calls_finished_or_skipped_before_their_turn_are_dropped(hall, demo_config):
    engine = SilentEngine()
    announcer = Announcer(hall, voice(demo_config), engine=engine)
    hall.call_next(1)
    hall.skip(1)           # nobody came (and nobody will hear it now)
    hall.call_next(5)
    hall.transfer(5, to_service="A")
    hall.call_next(2)      # a transferred ticket goes ahead of its new queue: C001 again
    run_all(announcer)
    assert engine.said == ["请C零零一号到二号窗口办理"]
    assert announcer.dropped == 2


def test_restart_resumes_without_repeating(hall, demo_config):
    first = SilentEngine()
    announcer = Announcer(hall, voice(demo_config), engine=first)
    hall.call_next(1)
    hall.call_next(5)
    announcer.poll_once()
    assert announcer.speak_next() == "spoken"  # A001 said; the process dies before C001
    assert first.said == [A001_W1]
    del announcer

    second = SilentEngine()
    restarted = Announcer(hall, voice(demo_config), engine=second)
    hall.call_next(2)
    run_all(restarted)
    assert second.said == [C001_W5, A002_W2]  # the waiting one, then the new one; A001 not again

    third = SilentEngine()
    run_all(Announcer(hall, voice(demo_config), engine=third))
    assert third.said == []


def test_restart_after_a_long_stop_does_not_speak_stale_calls(hall, demo_config, clock):
    announcer = Announcer(hall, voice(demo_config, max_age_s=120), engine=SilentEngine())
    hall.call_next(1)
    announcer.poll_once()  # seen, never spoken: the process stops here
    clock.advance(minutes=10)
    engine = SilentEngine()
    later = Announcer(hall, voice(demo_config, max_age_s=120), engine=engine)
    assert run_all(later) == ["too_old"]
    assert engine.said == []


def test_a_call_the_module_is_saying_at_stop_is_not_said_again_after_restart(hall, demo_config, module):
    """`serve` stopped (SIGTERM) in the middle of an announcement: the module has the
    frame and finishes it by itself (closing the port does not stop it), so the next start
    does not say that call again: announced once, not twice (issue 13)."""
    module.seconds_per_char = 0.5  # 6.5 s for a call: stop arrives in the middle
    announcer = Announcer(hall, voice(demo_config), engine=SerialTTSEngine("sim://announcer-test", "syn6288"),
                          poll_s=0.05)
    announcer.start()
    hall.call_next(1)
    assert module.wait_spoken(1, timeout=5)
    deadline = time.monotonic() + 5  # the module's acknowledgement read: the frame is taken
    while not announcer._current_taken and time.monotonic() < deadline:
        time.sleep(0.01)
    announcer.stop()
    assert announcer.failures == 0  # stopping is not an engine failure
    module.seconds_per_char = 0.01
    engine = SilentEngine()
    assert run_all(Announcer(hall, voice(demo_config), engine=engine)) == []
    assert engine.said == [] and module.spoken == [A001_W1]


def test_stop_between_the_modules_acknowledgement_and_the_cursor_does_not_repeat(hall, demo_config, module):
    """The narrow window: the module has the frame and is saying it, its 0x41 still on the
    wire, when the announcer stops. The engine reads that acknowledgement even while
    closing, so the cursor passes the call and a restart does not say it again."""
    module.seconds_per_char = 0.5
    module.ack_delay_s = 1.0  # (a slow line: the window held open long enough to stop in it)
    engine = SerialTTSEngine("sim://announcer-test", "syn6288", ack_timeout=3.0)
    announcer = Announcer(hall, voice(demo_config), engine=engine, poll_s=0.05)
    announcer.start()
    hall.call_next(1)
    assert module.wait_spoken(1, timeout=5)
    assert not announcer._current_taken  # the acknowledgement is not read yet
    announcer.stop()
    assert announcer.failures == 0 and announcer._saved >= announcer.feed.last_id  # the cursor passed it
    module.seconds_per_char, module.ack_delay_s = 0.01, 0.0
    again = SilentEngine()
    assert run_all(Announcer(hall, voice(demo_config), engine=again)) == []
    assert again.said == [] and module.spoken == [A001_W1]


def test_a_new_announcer_does_not_speak_the_past(hall, demo_config):
    hall.call_next(1)
    engine = SilentEngine()
    assert run_all(Announcer(hall, voice(demo_config), engine=engine)) == []
    assert engine.said == []


def test_engine_failure_is_logged_retried_and_recovered(hall, demo_config, module):
    engine = SerialTTSEngine("sim://announcer-test", "syn6288", ack_timeout=0.2)
    announcer = Announcer(hall, voice(demo_config), engine=engine, max_attempts=3)
    module.set_fault("silent")  # unplugged
    hall.call_next(1)
    announcer.poll_once()
    assert announcer.speak_next() == "failed"
    assert [p.number for p in announcer.backlog] == ["A001"]  # still waiting for its turn
    module.set_fault(None)       # plugged back in
    hall.call_next(5)
    assert run_all(announcer) == ["spoken", "spoken"]
    assert module.spoken == [A001_W1, C001_W5]
    kinds = [e.kind for e in hall.events_after(0, 1000)]
    assert kinds.index("voice_offline") < kinds.index("voice_online")
    assert announcer.failures == 1


def test_a_call_that_keeps_failing_is_given_up_and_the_next_goes_on(hall, demo_config, module):
    engine = SerialTTSEngine("sim://announcer-test", "syn6288", ack_timeout=0.2)
    announcer = Announcer(hall, voice(demo_config), engine=engine, max_attempts=2)
    module.set_fault("bad")
    hall.call_next(1)
    assert run_all(announcer) == ["failed", "given_up"]
    module.set_fault(None)
    hall.call_next(5)
    assert run_all(announcer) == ["spoken"]
    assert module.spoken == [C001_W5]


def test_threaded_announcer_survives_a_failing_engine(hall, demo_config, module):
    engine = SerialTTSEngine("sim://announcer-test", "syn6288", ack_timeout=0.2)
    announcer = Announcer(hall, voice(demo_config), engine=engine, poll_s=0.05, retry_delays=(0.1,))
    module.set_fault("silent")
    announcer.start()
    try:
        hall.call_next(1)
        import time
        deadline = time.monotonic() + 10
        while announcer.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert announcer.failures >= 1
        module.set_fault(None)
        assert announcer.wait_idle(timeout=15)
    finally:
        announcer.stop()
    assert module.spoken == [A001_W1]


def test_components_for_serve(demo_config, queue, tmp_path):
    class Ctx:
        pass

    ctx = Ctx()
    ctx.queue = queue
    ctx.config = demo_config
    [part] = components(ctx)
    assert isinstance(part, Announcer) and part.name == "announcer (espeak)"
    ctx.config = demo_config.model_copy(update={"voice": demo_config.voice.model_copy(update={"engine": "none"})})
    assert components(ctx) == []


class _CursorSpy(SerialTTSEngine):
    """The announcer's saved cursor while the module speaks (after it took the frame)."""

    def __init__(self, queue, *a, **kw):
        super().__init__(*a, **kw)
        self.queue, self.cursors = queue, []

    def _wait_idle(self, expected_s):
        self.cursors.append(self.queue.get_cursor("announcer"))
        return super()._wait_idle(expected_s)


def test_the_cursor_passes_a_call_once_the_module_took_it(hall, demo_config, module):
    """A TTS module says a frame it took even if `serve` dies right after: the saved
    cursor is past that call while the module says it, so a restart does not say it
    twice; an engine that failed leaves it before the cursor, so a restart says it."""
    engine = _CursorSpy(hall, "sim://announcer-test", "syn6288")
    announcer = Announcer(hall, voice(demo_config), engine=engine)
    hall.call_next(1)
    hall.call_next(2)
    ids = [e.id for e in hall.events_after(0) if e.kind == "called"]
    assert run_all(announcer) == ["spoken", "spoken"]
    assert engine.cursors[0] == ids[0] and engine.cursors[-1] >= ids[1]
    assert module.spoken == [A001_W1, A002_W2]


def test_a_call_the_engine_failed_on_stays_before_the_cursor(hall, demo_config):
    class Failing(SilentEngine):
        def announce(self, text, repeat=1, chime=False):
            raise OSError("sound card gone")
    announcer = Announcer(hall, voice(demo_config), engine=Failing(), retry_delays=(0.0,))
    hall.call_next(1)
    first = [e.id for e in hall.events_after(0) if e.kind == "called"][0]
    announcer.poll_once()
    assert announcer.speak_next() == "failed"
    assert hall.get_cursor("announcer") == first - 1  # a restart says it


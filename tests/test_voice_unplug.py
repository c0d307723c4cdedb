"""Unplugging a serial TTS module and plugging it back, through a real pty (issue 19).

Unplugging closes the simulator's pty, so the engine's port meets the real OS errors
of a vanished USB adapter (EIO, "device reports readiness to read but returned no
data"); a device path is a symlink that disappears and comes back pointing at a new
pty, as /dev/ttyUSB0 does. Every failure is a TTSError naming the module and the port,
and the engine speaks again once the module is back, without a restart.
"""
from __future__ import annotations

import os
import threading
import time

import pytest

from drivers.transport import register_sim, unregister_sim
from drivers.tts import TTSError
from drivers.tts.serial_engine import SerialTTSEngine
from drivers.tts.simulator import TTSModuleSimulator

CALL = "请A零二三号到五号窗口办理"


@pytest.fixture
def sim():
    s = TTSModuleSimulator("syn6288", seconds_per_char=0.01)
    register_sim("tts-unplug", s)
    yield s
    unregister_sim("tts-unplug")


def test_unplug_between_calls_then_replug(sim):
    with SerialTTSEngine("sim://tts-unplug", "syn6288", ack_timeout=0.3) as engine:
        engine.speak(CALL)
        sim.stop()  # the adapter is pulled out
        with pytest.raises(TTSError, match=r"SYN6288 on sim://tts-unplug: cannot (read|write)"):
            engine.speak(CALL)
        with pytest.raises(TTSError, match="sim://tts-unplug.*stopped"):  # still out: cannot reopen
            engine.speak(CALL)
        sim.start()  # plugged back in (a new pty, as a new ttyUSB node would be)
        engine.speak("请B一零七号到十二号窗口办理")
    assert sim.spoken == [CALL, "请B一零七号到十二号窗口办理"]


def test_unplug_while_speaking_fails_at_once_not_after_the_busy_limit(sim):
    sim.seconds_per_char = 0.5  # a call that takes 6 s
    errors: list[Exception] = []
    engine = SerialTTSEngine("sim://tts-unplug", "syn6288", max_busy_s=60)

    def speak():
        try:
            engine.speak(CALL)
        except TTSError as e:
            errors.append(e)
    th = threading.Thread(target=speak)
    th.start()
    assert sim.wait_spoken(1, timeout=5)
    t0 = time.monotonic()
    sim.stop()
    th.join(timeout=5)
    assert not th.is_alive()
    assert time.monotonic() - t0 < 2.0
    assert errors and "sim://tts-unplug" in str(errors[0]) and "SYN6288" in str(errors[0])
    sim.start()
    sim.seconds_per_char = 0.01
    engine.speak(CALL)  # reopened by itself
    engine.close()
    assert sim.spoken == [CALL, CALL]


def test_device_node_vanishes_and_comes_back(tmp_path):
    """The port is a path (/dev/ttyUSB1 here is a symlink to the simulator's pty)."""
    sim = TTSModuleSimulator("xfs5152", seconds_per_char=0.01)
    node = tmp_path / "ttyUSB1"
    os.symlink(sim.start(), node)
    try:
        with SerialTTSEngine(str(node), "xfs5152", ack_timeout=0.3) as engine:
            engine.speak(CALL)
            sim.stop()
            node.unlink()
            with pytest.raises(TTSError, match="XFS5152CE on .*ttyUSB1"):
                engine.speak(CALL)
            with pytest.raises(TTSError, match=r"ttyUSB1: cannot open .*No such file"):
                engine.speak(CALL)
            os.symlink(sim.start(), node)
            engine.chime()
            engine.speak(CALL)
        assert sim.spoken == [CALL, "sound101", CALL]
    finally:
        sim.stop()


@pytest.fixture
def hall(queue):
    queue.login(1, "staff1")
    queue.issue("A")
    return queue


def test_announcer_says_the_call_after_the_module_is_back(hall, demo_config, sim):
    """End to end: the call made while the module was out is said once it is back."""
    from display.announcer import Announcer
    cfg = demo_config.voice.model_copy(update={"repeat": 1, "chime": False})
    engine = SerialTTSEngine("sim://tts-unplug", "syn6288", ack_timeout=0.2)
    announcer = Announcer(hall, cfg, engine=engine, poll_s=0.05, retry_delays=(0.2,), max_attempts=50)
    sim.stop()
    announcer.start()
    try:
        hall.call_next(1)
        deadline = time.monotonic() + 5
        while announcer.failures == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert announcer.failures >= 1  # tried while unplugged
        sim.start()
        assert announcer.wait_idle(timeout=10)
    finally:
        announcer.stop()
    assert sim.spoken == ["请A零零一号到一号窗口办理"]
    kinds = [e.kind for e in hall.events_after(0, 1000)]
    assert kinds.index("voice_offline") < kinds.index("voice_online")

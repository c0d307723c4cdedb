"""The serial TTS engine against the module simulators over a pty: real frames, real replies."""
from __future__ import annotations

import threading
import time

import pytest
import serial

from drivers.transport import register_sim, unregister_sim
from drivers.tts import TTSError, open_engine
from drivers.tts.frames import IDLE, PROFILES, STATUS, command_frame, synth_frame
from drivers.tts.prompt_tones import DEFAULT_CHIME
from drivers.tts.serial_engine import SerialTTSEngine
from drivers.tts.simulator import TTSModuleSimulator

MODELS = ["syn6288", "xfs5152", "syn6658"]
CALL = "请A零二三号到五号窗口办理"


@pytest.fixture
def module(request):
    """A fast simulated module registered as sim://tts-test (50 ms a character)."""
    model = getattr(request, "param", "syn6288")
    sim = TTSModuleSimulator(model, seconds_per_char=0.02)
    register_sim("tts-test", sim)
    yield sim
    unregister_sim("tts-test")


def engine_for(sim, **kw) -> SerialTTSEngine:
    return SerialTTSEngine("sim://tts-test", sim.model, **kw)


@pytest.mark.parametrize("module", MODELS, indirect=True)
def test_announcement_is_spoken_in_order_without_interrupting(module):
    with engine_for(module) as engine:
        engine.announce(CALL, repeat=2, chime=True)
        engine.speak("请B一零七号到十二号窗口办理")
    chime = DEFAULT_CHIME[module.model]
    assert module.spoken == [chime, CALL, CALL, "请B一零七号到十二号窗口办理"]
    assert module.tones == [chime]  # played as a prompt tone, not read out as letters
    assert module.interrupted == []  # no synthesize frame arrived while the module was speaking
    assert module.bad_frames == 0
    # config speed 5 reaches the module as its own default rate; the chime too is at the set volume
    p = PROFILES[module.model]
    assert {(u["speed"], u["volume"]) for u in module.utterances} == {(p.speed_default, round(7 * p.volume_max / 16))}


@pytest.mark.parametrize("module", ["syn6288"], indirect=True)
def test_configured_chime_sound_is_played(module):
    with engine_for(module, chime_sound="soundk") as engine:
        engine.chime()
    assert module.tones == ["soundk"]  # 广播提示音


def test_a_chime_sound_the_module_lacks_is_a_clear_error():
    with pytest.raises(TTSError, match="voice.chime_sound: 'sound101' is not a prompt tone"):
        SerialTTSEngine("sim://nowhere", "syn6288", chime_sound="sound101")


@pytest.mark.parametrize("module", MODELS, indirect=True)
def test_frames_on_the_wire_are_the_pure_builders(module):
    with engine_for(module, volume=16, speed=10) as engine:
        engine.speak(CALL)
    synth = [f for f in module.frames if f[3] == 0x01]
    prefix = {"syn6288": "[v16][t5]", "xfs5152": "[v10][s10]", "syn6658": "[v10][s10]"}[module.model]
    assert synth == [synth_frame(module.model, prefix + CALL)]
    assert module.frames[0] == command_frame(module.model, STATUS)  # state unknown at first: it asks


def test_naive_back_to_back_frames_are_flagged(module):
    """What the engine prevents: without waiting for 0x4F the second frame cuts the first off."""
    with serial.serial_for_url(module.path, timeout=0.2) as port:
        port.write(synth_frame("syn6288", CALL) + synth_frame("syn6288", "请B一零七号到十二号窗口办理"))
        assert module.wait_spoken(2, timeout=5)
    assert module.interrupted == ["请B一零七号到十二号窗口办理"]


def test_waits_for_a_module_still_speaking_when_it_starts(module):
    with serial.serial_for_url(module.path, timeout=0.2) as port:
        port.write(synth_frame("syn6288", "这是一段还在播报的很长的话" * 2))
        assert module.wait_spoken(1, timeout=5)
        with engine_for(module) as engine:
            engine.speak(CALL)
    assert module.spoken[-1] == CALL
    assert module.interrupted == []


def test_lost_idle_byte_is_recovered_with_a_status_query(module):
    module.set_fault("lose_idle")
    with engine_for(module, status_poll_s=0.1, seconds_per_char=0.02) as engine:
        engine.speak(CALL)
        engine.speak(CALL)
    assert module.spoken == [CALL, CALL]
    assert module.interrupted == []
    assert module.status_queries >= 3  # the first one, then one per missing 0x4F at least


def test_one_garbled_frame_is_sent_again(module):
    module.reject_next = 1  # the first status query is garbled on the line: asked again
    with engine_for(module) as engine:
        engine.speak(CALL)
        assert engine.bad_frames == 1
        module.reject_next = 1  # now the synthesize frame itself: STOP, then sent again
        engine.speak(CALL)
        assert engine.bad_frames == 2
    assert module.spoken == [CALL, CALL]
    assert module.interrupted == []


def test_a_module_that_rejects_everything_fails_clearly_then_recovers(module):
    module.set_fault("bad")
    engine = engine_for(module)
    with pytest.raises(TTSError, match="0x45"):
        engine.speak(CALL)
    assert module.bad_frames >= 2
    module.set_fault(None)
    engine.speak(CALL)  # the port was closed and is reopened
    engine.close()
    assert module.spoken == [CALL]


def test_a_silent_module_fails_within_the_ack_timeout(module):
    module.set_fault("silent")
    engine = engine_for(module, ack_timeout=0.3)
    start = time.monotonic()
    with pytest.raises(TTSError) as e:
        engine.speak(CALL)
    assert time.monotonic() - start < 5
    assert "does not answer" in str(e.value) and "sim://tts-test" in str(e.value)
    ok, detail = engine.check()
    assert not ok and "no answer" in detail


def test_check_reports_the_module_state(module):
    ok, detail = engine_for(module).check()
    assert ok and "idle" in detail
    assert module.frames == [command_frame("syn6288", STATUS)]  # a check says nothing


def test_long_text_goes_in_several_frames_each_after_idle(module):
    text = "请A零二三号到五号窗口办理，" * 16  # 416 bytes: more than one SYN6288 frame
    module.seconds_per_char = 0.005
    with engine_for(module) as engine:
        engine.speak(text)
    assert len(module.spoken) >= 3
    assert "".join(module.spoken).replace("[v7][t2]", "") == text
    assert module.interrupted == []


def test_markup_reading_reaches_the_module(module, demo_config):
    voice = demo_config.voice.model_copy(update={"engine": "syn6288", "url": "sim://tts-test", "reading": "markup"})
    engine = open_engine(voice)
    assert engine.text_style == "markup"
    engine.speak("[y1]请[n1]A023[n0]号到[n2]12[n0]号窗口办理")
    engine.close()
    assert module.spoken == ["请A023号到12号窗口办理"]  # the simulator strips the markup it obeyed
    assert b"[n1]A023" in module.frames[-1]


def test_close_from_another_thread_cuts_a_long_wait_short(module):
    module.seconds_per_char = 1.0  # 13 s of speech
    engine = engine_for(module)
    errors = []

    def talk():
        try:
            engine.speak(CALL)
        except TTSError as e:
            errors.append(e)

    t = threading.Thread(target=talk)
    t.start()
    assert module.wait_spoken(1, timeout=5)
    engine.close()
    t.join(timeout=3)
    assert not t.is_alive()
    assert errors and "closed" in str(errors[0])


def test_an_unopenable_port_is_a_tts_error():
    engine = SerialTTSEngine("/dev/ttyNOSUCHPORT", "xfs5152")
    with pytest.raises(TTSError, match="XFS5152CE.*ttyNOSUCHPORT"):
        engine.speak(CALL)


def test_simulator_answers_status_busy_then_idle(module):
    with serial.serial_for_url(module.path, timeout=0.5) as port:
        port.write(synth_frame("syn6288", CALL))
        assert port.read(1) == b"\x41"
        port.write(command_frame("syn6288", STATUS))
        assert port.read(1) == b"\x4E"
        port.timeout = 3
        assert port.read(1) == bytes([IDLE])  # by itself when the speech ends
        port.write(bytes.fromhex("FD 00 02 21 00"))  # bad checksum
        assert port.read(1) == b"\x45"


def test_through_a_network_serial_gateway(module):
    """socket://host:port, as with a serial device server in the hall's network."""
    import socket

    server = socket.create_server(("127.0.0.1", 0))
    host, port = server.getsockname()
    stop = threading.Event()

    def gateway():
        conn, _ = server.accept()
        conn.settimeout(0.05)
        with conn, serial.serial_for_url(module.path, timeout=0.05) as line:
            while not stop.is_set():
                try:
                    data = conn.recv(4096)
                    if not data:
                        break
                    line.write(data)
                except socket.timeout:
                    pass
                reply = line.read(64)
                if reply:
                    conn.sendall(reply)

    t = threading.Thread(target=gateway, daemon=True)
    t.start()
    try:
        with SerialTTSEngine(f"socket://{host}:{port}", "syn6288") as engine:
            engine.announce(CALL, repeat=2)
    finally:
        stop.set()
        t.join(timeout=2)
        server.close()
    assert module.spoken == [CALL, CALL]
    assert module.interrupted == []

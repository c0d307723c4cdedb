"""The demo's devices made visible, read from the real simulators (no Qt): the printed
ticket, the LED board's decoded lines, the keypads' displays and keys, the ratings,
the voice, and the log of what each device received."""
from __future__ import annotations

import threading

import pytest

from jiaohao.demo.runner import has_sound_card
from jiaohao.demo.watch import DeviceWatch, key_names, ticket_lines, ticket_summary
from tests.demo_helpers import hall  # noqa: F401 - fixture


def test_the_watch_follows_every_simulated_device(hall):
    watch = DeviceWatch(hall)
    first = watch.poll()
    assert first.tickets == 0 and first.ticket_png is None
    stop = threading.Event()
    worker = threading.Thread(target=hall.run, args=(stop,), daemon=True)
    worker.start()
    views = [first]
    try:
        while worker.is_alive() and len(views) < 400:
            views.append(watch.poll())
            worker.join(0.1)
    finally:
        stop.set()
        worker.join(timeout=20)
    view = watch.poll()
    printer = hall.devices.printer_sim
    assert view.sound == str(hall.devices.voice_dir)  # no sound card in the options: WAV files
    assert view.tickets == len(printer.jobs) > 0
    assert view.ticket_png == printer.pngs[-1] and view.ticket_png.is_file()
    assert any(ticket_summary(view.ticket_lines).split()[0] == line for line in view.ticket_lines)
    if hall.devices.board_sims:
        assert view.boards[0][1] == hall.devices.board_sims[0].lines and any(view.boards[0][1])
    by_window = {d.window: d for d in view.windows}
    assert set(by_window) == {w.number for w in hall.config.windows if w.keypad is not None}
    bus = next(iter(hall.devices.bus_sims.values()))
    for w in hall.config.windows:
        if w.keypad is None:
            continue
        shown = bus.keypad(w.keypad.address).display
        assert (by_window[w.number].ticket, by_window[w.number].state) == (shown.ticket, shown.state)
    assert any(d.last_key_zh for d in view.windows)
    texts = [line.text() for line in watch.log]
    assert any("打印机：收到一张票" in t for t in texts)
    assert any("号呼叫器：按下「登录" in t for t in texts)
    assert any("号窗口屏：显示「请" in t for t in texts)
    english = [line.text(english=True) for line in watch.log]
    assert any("printer: received a ticket" in t for t in english)
    # each poll's new lines are exactly what was added since the previous poll
    assert sum(len(v.new_log) for v in [*views, view]) == min(len(watch.log), watch._logged)
    announcer = next((p for p in hall.parts if hasattr(p, "spoken")), None)
    if announcer is not None and announcer.spoken:
        assert view.speaking == announcer.text_for(announcer.spoken[-1])
        assert any("语音：播报「" in t for t in texts) or view.spoken > 0


def test_ticket_text_from_the_printed_bytes():
    job = (b"\x1b@" + "社会保障\n".encode("gbk") + b"------\n" + b"A023\n" + "请留意叫号\n".encode("gbk")
           + b"\x1dV\x00")
    lines = ticket_lines(job)
    assert lines == ["社会保障", "------", "A023", "请留意叫号"]
    assert ticket_summary(lines) == "A023 社会保障"
    assert ticket_summary(["只有一行"]) == "只有一行"


def test_keys_in_words():
    assert key_names(1, 0) == ("呼叫", "call")
    assert key_names(20, 5) == ("评价 非常满意", "rate 5")
    assert key_names(9, 1003) == ("登录 1003", "log in 1003")
    assert key_names(99, 0) == ("键 99", "key 99")


def test_sound_is_detected_and_never_fails(monkeypatch):
    audio = pytest.importorskip("drivers.tts.audio")
    monkeypatch.setattr(audio, "sound_output_present", lambda: True)
    monkeypatch.setattr(audio, "find_player", lambda: ["aplay", "-q"])
    assert has_sound_card()
    monkeypatch.setattr(audio, "find_player", lambda: None)  # a card but nothing to play on it
    assert not has_sound_card()

    def broken():
        raise PermissionError("/run/user/1000: permission denied")
    monkeypatch.setattr(audio, "sound_output_present", broken)
    assert not has_sound_card()

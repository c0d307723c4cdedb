"""The board driver against the board simulator over a pty, and the serve component end to end."""
from __future__ import annotations

import itertools
import logging

import pytest

from config import Board
from display.boards import BoardWorker, board_lines, components
from display.screen_model import ScreenModel
from drivers.led import BoardSimulator, HallBoard, LedError, onbon
from drivers.transport import get_sim, register_sim, unregister_sim

_names = itertools.count()


@pytest.fixture
def sim_board():
    """(Board config, simulator) on a fresh sim:// name; the simulator is stopped afterwards."""
    made = []

    def make(protocol="onbon-bx", address=1, lines=2, register=True, sim_series=None, **kw):
        name = f"ledtest{next(_names)}"
        cfg = Board(protocol=protocol, url=f"sim://{name}", address=address, lines=lines, name="测试条屏", **kw)
        sim = BoardSimulator(protocol, address, lines, series=sim_series or cfg.series)
        if register:
            register_sim(name, sim)
        made.append(name)
        return cfg, sim

    yield make
    for name in made:
        unregister_sim(name)


class UsbAdapter:
    """A board simulator behind a stable device link, as udev makes /dev/serial/by-id/…:
    ``unplug()`` closes the pty (the driver's open port gets the real OS errors) and
    removes the link; ``plug()`` starts a new pty and points the link at it."""

    def __init__(self, tmp_path, sim: BoardSimulator):
        self.sim = sim
        self.link = tmp_path / "usb-RS485-if00-port0"
        self.plug()

    def plug(self) -> None:
        self.link.symlink_to(self.sim.start())

    def unplug(self) -> None:
        self.sim.stop()
        self.link.unlink()


@pytest.fixture
def adapter(tmp_path):
    """(Board config on a device link, UsbAdapter) for unplug and replug tests."""
    sim = BoardSimulator("onbon-bx", 1, 2)
    usb = UsbAdapter(tmp_path, sim)
    yield Board(url=str(usb.link), address=1, lines=2, name="测试条屏"), usb
    sim.stop()


@pytest.mark.parametrize("protocol", ["onbon-bx", "plain"])
def test_driver_shows_lines_on_simulator(sim_board, protocol):
    cfg, sim = sim_board(protocol)
    with HallBoard(cfg, reply_timeout=2) as board:
        board.show(["请A023号到5号窗口", "已叫号: A022号 3号窗口"])
        board.ping()
    assert sim.lines == ["请A023号到5号窗口", "已叫号: A022号 3号窗口"]
    assert sim.garbled == 0 and sim.frames >= 2


def test_onbon_long_text_scrolls_and_short_text_stands(sim_board):
    cfg, sim = sim_board(width=192, height=32, lines=2)
    with HallBoard(cfg, reply_timeout=2) as board:
        board.show(["请A023号到5号窗口", "已叫号: A022号 3号窗口  A021号 1号窗口  A020号 2号窗口"])
    first, second = sim.areas[0], sim.areas[1]
    assert (first.y, first.height, first.width) == (0, 16, 192)
    assert (second.y, second.height) == (16, 16)
    assert first.show == 0x01 and second.show == 0x03   # static, then scrolling left


def test_silent_board_raises_with_its_name(sim_board):
    cfg, sim = sim_board()
    sim.silent = True
    with HallBoard(cfg, reply_timeout=0.3) as board, pytest.raises(LedError, match="测试条屏.*no answer"):
        board.show(["A001"])


@pytest.mark.parametrize("series", ["5K", "6K"])
def test_each_series_gets_its_area_fields(sim_board, series):
    cfg, sim = sim_board(series=series, width=192, height=32)
    with HallBoard(cfg, reply_timeout=2) as board:
        board.show(["请A023号到5号窗口", "已叫号"])
        assert board.last_answer == "ACK (A0/00)"
    assert [(a.x, a.y, a.width, a.height) for a in sim.areas.values()] == [(0, 0, 192, 16), (0, 16, 192, 16)]


def test_a_6k_card_sent_the_5k_form_gets_a_24_pixel_area(sim_board):
    # the fault of issue 18: 8-pixel units to a BX-6K card
    cfg, sim = sim_board(series="5K", sim_series="6K", width=192)
    with HallBoard(cfg, reply_timeout=2) as board:
        board.show(["请A023号到5号窗口"])
    assert sim.areas[0].width == 24


def test_a_5k_card_ignores_pixel_widths(sim_board):
    cfg, sim = sim_board(series="5K")
    with HallBoard(cfg, reply_timeout=2) as board:
        board._exchange(onbon.dynamic_area_frame(1, [onbon.Area(0, 0, 0, 100, 16, "A001")], series="6K"))
    assert sim.ignored_widths == 1 and sim.areas[0].width == 0


def test_5k_width_not_a_multiple_of_8_is_refused_before_sending():
    unchecked = Board.model_construct(protocol="onbon-bx", series="5K", url="sim://x", address=1, baud=9600,
                                      width=100, height=32, lines=2, name="")
    with pytest.raises(LedError, match="multiple of 8"):
        HallBoard(unchecked)


@pytest.mark.parametrize("error", [0, 1, 3, 5, 12, 16, 200])
def test_nack_is_refused_with_its_error_byte(sim_board, error):
    cfg, sim = sim_board()
    with HallBoard(cfg, reply_timeout=1) as board:
        board.show(["A001"])
        sim.nack_error = error
        with pytest.raises(LedError, match=f"refused the frame: NACK \\(A0/01\\), error {error}: "):
            board.show(["A002"])
    assert sim.lines[0] == "A001"        # a refused frame changes nothing


@pytest.mark.parametrize("raw, words", [
    (b"\x00\xff\x13\x37\x42", "garbled answer .*no A5"),
    (onbon.wrap(onbon.build_packet(bytes.fromhex("a306000000"), 0x8000, 1), 1),
     "unexpected answer A3/06, neither ACK"),
    (onbon.answer_frame(0x8000, 1)[:-3] + b"\x00\x00\x5a", "garbled answer .*CRC"),
])
def test_garbage_answers(sim_board, raw, words):
    cfg, sim = sim_board()
    sim.raw_answer = raw
    with HallBoard(cfg, reply_timeout=0.5) as board, pytest.raises(LedError, match=words):
        board.show(["A001"])


def test_unplugged_port_is_a_fault_and_reopens(adapter):
    cfg, usb = adapter
    board = HallBoard(cfg, reply_timeout=1)
    try:
        board.show(["A001"])
        usb.unplug()
        with pytest.raises(LedError, match="serial port failed on write .*Input/output error"):
            board.show(["A002"])                    # termios.error from tcflush, as on a real adapter
        assert board.port is None                   # closed, to be reopened
        with pytest.raises(LedError, match="cannot open .*No such file"):
            board.show(["A002"])                    # still unplugged
        usb.plug()
        board.show(["A003"])
        assert usb.sim.lines[0] == "A003"
    finally:
        board.close()


def test_plain_board_with_address_above_255_is_refused():
    # the config refuses it too (test_led_config); the driver checks boards built in code
    unchecked = Board.model_construct(protocol="plain", url="sim://x", address=300, baud=9600,
                                      width=192, height=32, lines=2, name="")
    with pytest.raises(LedError, match="1-255"):
        HallBoard(unchecked)


def test_unregistered_sim_gets_the_default_simulator(sim_board):
    cfg, _ = sim_board(register=False)
    worker = BoardWorker(None, cfg)
    worker.board.open()
    try:
        sim = get_sim(cfg.url[len("sim://"):])
        assert isinstance(sim, BoardSimulator)
        worker.board.show(["请A001号到1号窗口"])
        assert sim.lines[0] == "请A001号到1号窗口"
    finally:
        worker.board.close()


def test_board_lines_layout(queue):
    t = [0.0]
    model = ScreenModel(queue, clock=lambda: t[0])
    assert board_lines(model.state(), 2) == ["瑶海区政务服务中心", "请留意叫号，过号需重新取号"]
    for code in "AAA":
        queue.issue(code)
    for w in (1, 2, 3):
        queue.call_next(w)
    model.update()
    assert board_lines(model.state(), 1) == ["请A001号到1号窗口"]
    lines = board_lines(model.state(), 3)
    assert lines[0] == "请A001号到1号窗口"
    assert lines[1] == "已叫号: A003号 3号窗口  A002号 2号窗口"
    assert lines[2] == "请留意叫号，过号需重新取号"


def test_component_sends_the_latest_call_end_to_end(sim_board, queue, demo_config):
    cfg, sim = sim_board()
    t = [0.0]
    worker = BoardWorker(queue, cfg, poll_s=0.05, retry_s=0.2,
                         model=ScreenModel(queue, clock=lambda: t[0]))
    worker.board.reply_timeout = 0.5
    worker.start()
    try:
        assert sim.wait_for(lambda s: s.lines[0] == "瑶海区政务服务中心")
        queue.issue("A")
        queue.issue("C")
        queue.call_next(1)
        queue.call_next(4)
        assert sim.wait_for(lambda s: s.lines[0] == "请A001号到1号窗口")
        t[0] = 10.0   # min_show_seconds later the second call takes the first line
        assert sim.wait_for(lambda s: s.lines[0] == "请C001号到4号窗口")
        assert sim.lines[1] == "已叫号: A001号 1号窗口"

        sim.silent = True                          # the cable is cut ...
        queue.recall(1)
        t[0] = 20.0                                # the recall's turn on the first line
        assert sim.wait_for(lambda s: worker.online is False)
        sim.silent = False                         # ... and plugged back
        assert sim.wait_for(lambda s: worker.online is True and s.lines[0] == "请A001号到1号窗口")
    finally:
        worker.stop()
    kinds = [e.kind for e in queue.events_after(0, 1000)]
    assert "device_fault" in kinds and "device_ok" in kinds
    assert sim.garbled == 0


def test_component_recovers_from_unplug_and_replug(adapter, queue, caplog):
    cfg, usb = adapter
    sim = usb.sim
    t = [0.0]
    worker = BoardWorker(queue, cfg, poll_s=0.05, retry_s=0.2, model=ScreenModel(queue, clock=lambda: t[0]))
    worker.board.reply_timeout = 0.5
    caplog.set_level(logging.INFO, logger="display.boards")
    worker.start()
    try:
        queue.issue("A")
        queue.call_next(1)
        assert sim.wait_for(lambda s: s.lines[0] == "请A001号到1号窗口")
        usb.unplug()                                 # the driver's pty really goes away
        queue.issue("A")
        t[0] = 10.0
        queue.call_next(2)
        assert sim.wait_for(lambda s: worker.online is False)
        usb.plug()
        assert sim.wait_for(lambda s: worker.online is True and s.lines[0] == "请A002号到2号窗口")
    finally:
        worker.stop()
    events = [e for e in queue.events_after(0, 1000) if e.kind in ("device_fault", "device_ok")]
    assert [e.kind for e in events] == ["device_fault", "device_ok"]
    assert "serial port failed" in events[0].data["message"]
    assert not [r for r in caplog.records if "unexpected error" in r.getMessage()]


def test_components_one_worker_per_board(demo_config, queue):
    class Ctx:
        config = demo_config
    Ctx.queue = queue
    parts = components(Ctx)
    assert [p.name for p in parts] == ["board 大厅条屏 (sim://board1)"]


def test_restart_shows_the_last_call_at_once(sim_board, queue):
    cfg, sim = sim_board()
    queue.issue("B")
    queue.call_next(3)
    worker = BoardWorker(queue, cfg)        # started after the call: catches up from the queue
    worker.board.reply_timeout = 1
    worker.model = ScreenModel(queue)
    worker.step()
    worker.board.close()
    assert sim.lines[0] == "请B001号到3号窗口"


def test_unchanged_text_is_sent_again_after_a_power_cut(sim_board, queue):
    cfg, sim = sim_board()
    queue.issue("A")
    queue.call_next(1)
    now = [100.0]
    worker = BoardWorker(queue, cfg, model=ScreenModel(queue), refresh_s=60, clock=lambda: now[0])
    worker.board.reply_timeout = 1
    try:
        worker.step()
        assert sim.lines[0] == "请A001号到1号窗口"
        sim.lines = [""] * len(sim.lines)      # the board lost its dynamic areas (power cut)
        frames = sim.frames
        now[0] += 30
        worker.step()                          # nothing changed, refresh not due: nothing sent
        assert sim.frames == frames and sim.lines[0] == ""
        now[0] += 31
        worker.step()                          # due: the same text again
        assert sim.frames == frames + 1 and sim.lines[0] == "请A001号到1号窗口"
    finally:
        worker.board.close()

"""The board driver against the board simulator over a pty, and the serve component end to end."""
from __future__ import annotations

import itertools

import pytest

from config import Board
from display.boards import BoardWorker, board_lines, components
from display.screen_model import ScreenModel
from drivers.led import BoardSimulator, HallBoard, LedError
from drivers.transport import get_sim, register_sim, unregister_sim

_names = itertools.count()


@pytest.fixture
def sim_board():
    """(Board config, simulator) on a fresh sim:// name; the simulator is stopped afterwards."""
    made = []

    def make(protocol="onbon-bx", address=1, lines=2, register=True, **kw):
        name = f"ledtest{next(_names)}"
        cfg = Board(protocol=protocol, url=f"sim://{name}", address=address, lines=lines, name="测试条屏", **kw)
        sim = BoardSimulator(protocol, address, lines)
        if register:
            register_sim(name, sim)
        made.append(name)
        return cfg, sim

    yield make
    for name in made:
        unregister_sim(name)


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


def test_refusing_card_raises(sim_board):
    cfg, sim = sim_board()
    sim.status = 3
    with HallBoard(cfg, reply_timeout=1) as board, pytest.raises(LedError, match="refused"):
        board.show(["A001"])


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

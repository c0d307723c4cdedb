"""`jiaohao diag board` and the boards' part of `jiaohao diag check`, against the board simulator."""
from __future__ import annotations

import json

import pytest

from drivers.led import BoardSimulator
from drivers.transport import register_sim, unregister_sim
from jiaohao.cli import main
from jiaohao.context import Context
from jiaohao.diag.boards import check


@pytest.fixture
def board1(monkeypatch, tmp_path):
    """The demo hall's sim://board1, as a simulator the test can inspect."""
    monkeypatch.setenv("JIAOHAO_DB", str(tmp_path / "hall.sqlite"))
    monkeypatch.delenv("JIAOHAO_CONFIG", raising=False)
    sim = BoardSimulator("onbon-bx", 1, 2)
    register_sim("board1", sim)
    yield sim
    unregister_sim("board1")


def test_diag_board_shows_the_text(board1, capsys):
    assert main(["diag", "board", "--text", "请A023号到5号窗口", "--text", "测试", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["simulator_shows"] == ["请A023号到5号窗口", "测试"]
    assert out["answer"] == "ACK (A0/00)" and out["series"] == "6K"
    assert board1.lines == ["请A023号到5号窗口", "测试"]
    assert board1.areas[0].width == 192


def test_diag_board_in_words(board1, capsys):
    assert main(["diag", "board"]) == 0
    out = capsys.readouterr().out
    assert "：onbon-bx BX-6K，波特率 9600，192x32 像素，" in out and "(onbon-bx BX-6K, 9600 baud" in out, out
    assert "板卡回复 (the board answered): ACK (A0/00)" in out and "\n已显示 (shown): " in out


@pytest.mark.parametrize("error, words", [(0, "no error code"), (3, "the controller is busy"),
                                          (12, "font library not on the card")])
def test_diag_board_nack_is_not_shown(board1, capsys, error, words):
    board1.nack_error = error
    assert main(["diag", "board"]) == 1
    out = capsys.readouterr().out
    assert "已显示" not in out and "未显示，失败 (not shown, FAILED): " in out and "\n处理办法 (fix): " in out
    assert f"NACK (A0/01), error {error}: {words}" in out
    assert "控制卡系列（配置里是 6K" in out and "the card series" in out


def test_diag_board_garbage_answer(board1, capsys):
    board1.raw_answer = b"\x00\xff\x13\x37"
    assert main(["diag", "board", "--timeout", "0.3"]) == 1
    out = capsys.readouterr().out
    assert "garbled answer" in out and "baud rate on the card probably differs from 9600" in out


def test_diag_board_silent_says_what_to_check(board1, capsys):
    board1.silent = True
    assert main(["diag", "board", "--timeout", "0.3"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "RS-485 cable" in out and "9600" in out


def test_diag_board_bad_index(board1, capsys):
    assert main(["diag", "board", "--index", "3"]) == 2
    assert capsys.readouterr().out == "--index 3: 配置里有 1 块条屏，编号 1-1 (the config has 1 board(s), numbered 1-1)\n"


def test_check_reports_each_board(board1):
    ctx = Context()
    [ok] = check(ctx)
    assert ok.ok and "sim://board1" in ok.device and "ACK (A0/00)" in ok.detail
    board1.silent = True
    [bad] = check(ctx)
    assert not bad.ok and "没有应答，检查 RS-485 接线" in bad.detail and "no answer" in bad.detail and "屏地址（配置里是 1" in bad.fix and "screen address, 1 in the config" in bad.fix


def test_fix_for_an_unplugged_adapter(demo_config):
    from jiaohao.diag.boards import fix_for
    error = ("大厅条屏 sim://board1 (address 1): 串口出错，转换器被拔下了？下次会自动重新打开 (the serial port failed on "
             "write (Input/output error (errno 5)); unplugged? it is reopened on the next try)")
    assert "USB-RS485 adapter was unplugged" in fix_for(error, demo_config.boards[0])


def test_the_panels_board_and_bus_actions_say_it_chinese_first(board1, demo_config):
    """The diagnostics panel's buttons (jiaohao/diag/actions.py): '中文 (English)' like the other lines."""
    from jiaohao.diag import actions
    shown = actions.show_on_board(demo_config, 0, "测试")
    assert shown.ok and shown.text.endswith(" 已显示 '测试' (shows '测试')"), shown.text
    empty = actions.scan_bus(demo_config.model_copy(update={"windows": []}), "floor1")
    assert empty.text == "总线 (bus) floor1: 配置里没有设备 (no devices configured)"

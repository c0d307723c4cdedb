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
    assert board1.lines == ["请A023号到5号窗口", "测试"]


def test_diag_board_silent_says_what_to_check(board1, capsys):
    board1.silent = True
    assert main(["diag", "board", "--timeout", "0.3"]) == 1
    out = capsys.readouterr().out
    assert "FAILED" in out and "RS-485 cable" in out and "9600" in out


def test_diag_board_bad_index(board1, capsys):
    assert main(["diag", "board", "--index", "3"]) == 2
    assert "numbered 1-1" in capsys.readouterr().out


def test_check_reports_each_board(board1):
    ctx = Context()
    [ok] = check(ctx)
    assert ok.ok and "sim://board1" in ok.device
    board1.silent = True
    [bad] = check(ctx)
    assert not bad.ok and "no answer" in bad.detail and "screen address (1" in bad.fix

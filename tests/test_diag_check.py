"""`jiaohao diag check` against simulators: all healthy exits 0; exactly one broken
device is reported, alone, with its reason, and exits non-zero."""
from __future__ import annotations

import importlib.util
from types import SimpleNamespace

import pytest

from drivers.transport import register_sim, unregister_sim
from jiaohao.commands import diag_cmd
from jiaohao.context import Context

printer_mod = pytest.importorskip("drivers.printer")
led_mod = pytest.importorskip("drivers.led")
windowbus = pytest.importorskip("drivers.windowbus")

HAS_BUS_DIAG = importlib.util.find_spec("jiaohao.diag.bus") is not None
SIM_BUS_TIMEOUT_MS = 2000


class Hall:
    """The demo hall's devices, simulated in this process, voice to WAV files."""

    def __init__(self, config, tmp_path):
        # The simulators answer from threads of this process over ptys: on a loaded 2-core
        # machine a reply can come 100 ms late (the bus's real-hardware time-out, so a
        # healthy keypad read as silent). The simulated bus waits as long as a slow test
        # machine needs; a silent keypad still fails, after that wait.
        buses = {n: b.model_copy(update={"timeout_ms": SIM_BUS_TIMEOUT_MS}) for n, b in config.buses.items()}
        self.config = config.model_copy(update={"buses": buses, "voice": config.voice.model_copy(
            update={"output": str(tmp_path / "voice")})})
        self.printer = printer_mod.PrinterSimulator(output_dir=tmp_path / "tickets")
        self.bus = windowbus.BusSimulator.for_config(self.config, "floor1", wire_time=False)
        b = self.config.boards[0]
        self.board = led_mod.BoardSimulator(protocol=b.protocol, address=b.address, lines=b.lines)
        self.sims = {"kiosk1": self.printer, "floor1": self.bus, "board1": self.board}

    def __enter__(self):
        for name, sim in self.sims.items():
            register_sim(name, sim)
        return self

    def __exit__(self, *exc):
        for name in self.sims:
            unregister_sim(name)

    def check(self, tmp_path, capsys):
        ctx = Context(db=str(tmp_path / "hall.sqlite"))
        ctx.__dict__["config"] = self.config
        code = diag_cmd.check(ctx, SimpleNamespace(json=False))
        out = capsys.readouterr().out
        return code, out, [line for line in out.splitlines() if line.startswith("故障 (FAIL)")]


@pytest.fixture
def hall(demo_config, tmp_path):
    with Hall(demo_config, tmp_path) as h:
        yield h


def test_all_healthy_exits_zero(hall, tmp_path, capsys):
    code, out, fails = hall.check(tmp_path, capsys)
    assert fails == [], out
    assert code == 0
    assert "all healthy" in out
    assert "正常 (OK)   取号打印机 printer sim://kiosk1: 打印机正常 (Printer ready)" in out
    assert "正常 (OK)   5号窗口呼叫器 bus floor1 address 5 (window 5 keypad): 在线，呼叫器" in out
    assert "共检查" in out and "全部正常" in out


@pytest.mark.parametrize("level, words", [("paper_out", "打印纸已用完，请更换纸卷 (Out of paper"), ("cover_open", "打印机盖未合上 (The printer cover"),
                                          ("offline", "")])
def test_printer_fault_is_the_one_failure(hall, tmp_path, capsys, level, words):
    hall.printer.set_status(level)
    code, out, fails = hall.check(tmp_path, capsys)
    assert code != 0
    assert len(fails) == 1, out
    assert fails[0].startswith("故障 (FAIL) 取号打印机 printer sim://kiosk1")
    assert words in fails[0]
    assert "处理 (fix):" in out
    assert "1 with a problem" in out


def test_silent_board_is_the_one_failure(hall, tmp_path, capsys):
    hall.board.silent = True
    code, out, fails = hall.check(tmp_path, capsys)
    assert code != 0 and len(fails) == 1, out
    assert "board" in fails[0].lower()


@pytest.mark.skipif(not HAS_BUS_DIAG, reason="jiaohao.diag.bus (window bus diagnostics) is not in this build")
def test_keypad_that_does_not_answer_is_the_one_failure(hall, tmp_path, capsys):
    hall.bus.keypad(5).silent = True
    code, out, fails = hall.check(tmp_path, capsys)
    assert code != 0
    assert len(fails) == 1, out
    assert fails[0].startswith("故障 (FAIL) 5号窗口呼叫器 bus floor1 address 5")
    assert "总线 floor1 地址 5 的呼叫器没有应答 (no answer at address 5 on bus floor1: keypad)" in fails[0]
    assert "检查呼叫器是否通电" in out and "120 Ω" in out


def test_a_hanging_check_is_reported_not_waited_for(monkeypatch, demo_config, tmp_path):
    import sys
    import threading
    import types

    release = threading.Event()
    fake = types.ModuleType("jiaohao.diag.fake_hang")
    fake.check = lambda ctx: release.wait(30) or []
    monkeypatch.setitem(sys.modules, "jiaohao.diag.fake_hang", fake)
    monkeypatch.setattr(diag_cmd, "AREAS", ["jiaohao.diag.fake_hang"])
    try:
        [r] = diag_cmd.run_checks(SimpleNamespace(config=demo_config), timeout_s=0.2)
    finally:
        release.set()
    assert not r.ok and "秒内没有查完" in r.detail and "did not finish" in r.detail and r.device == "fake_hang"


@pytest.mark.parametrize("device, zh", [
    ("bus floor1 address 5 (window 5 keypad)", "5号窗口呼叫器"),
    ("bus floor1 address 105 (window 5 screen)", "5号窗口屏"),
    ("bus floor1 sim://floor1", "窗口总线"),
    ("printer usb://0416:5011", "取号打印机"),
    ("database integrity hall.sqlite", "数据库完整性"),
    ("database /var/lib/jiaohao/hall.sqlite", "排队数据库"),
    ("backups", "备份"),
    ("service guide (办事指南)", ""),  # already has its Chinese name
    ("something new", ""),
])
def test_every_device_line_starts_with_its_chinese_name(device, zh):
    from jiaohao.diag import CheckResult, device_zh, line
    assert device_zh(device) == zh
    r = CheckResult(device, False, "x")
    assert line(r) == f"故障 (FAIL) {zh + ' ' if zh else ''}{device}: x"
    assert r.to_json()["device"] == device and r.to_json()["device_zh"] == zh

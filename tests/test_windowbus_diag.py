"""`jiaohao diag bus` / `diag screen` / the bus check, against a simulated bus."""
from __future__ import annotations

import json
import threading
import time

import pytest

from config import DEMO_HALL
from drivers.transport import register_sim, unregister_sim
from drivers.windowbus import BusSimulator
from jiaohao.cli import main
from jiaohao.context import Context
from jiaohao.diag import bus as diag_bus

_n = iter(range(1, 1000))


@pytest.fixture
def hall_file(tmp_path, monkeypatch):
    name = f"diagbus{next(_n)}-{time.monotonic_ns()}"
    path = tmp_path / "hall.toml"
    path.write_text(DEMO_HALL.read_text(encoding="utf-8").replace('url = "sim://floor1"', f'url = "sim://{name}"'),
                    encoding="utf-8")
    monkeypatch.setenv("JIAOHAO_DB", str(tmp_path / "hall.sqlite"))
    ctx = Context(str(path))
    sim = BusSimulator.for_config(ctx.config, "floor1")
    sim.wire_time = False
    register_sim(name, sim)
    yield path, sim, ctx
    unregister_sim(name)


def test_scan_lists_every_address_and_the_silent_one(hall_file, capsys):
    path, sim, _ = hall_file
    sim.keypad(4).silent = True
    assert main(["--config", str(path), "diag", "bus", "floor1", "--scan", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    rows = {r["address"]: r for r in out["devices"]}
    assert len(rows) == 36
    assert rows[4]["answers"] is False and rows[4]["configured"] == "window 4 keypad"
    assert rows[55]["kind"] == "evaluator" and rows[112]["kind"] == "screen"
    assert main(["--config", str(path), "diag", "bus", "floor1", "--scan"]) == 1  # the same in words
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("窗口总线 (bus) floor1（sim://") and lines[0].endswith("，波特率 9600）:"), lines[0]
    assert [ln.split() for ln in lines if ln.split()[:1] == ["4"]] == [["4", "window", "4", "keypad", "没有应答", "(NO",
                                                                       "ANSWER)"]]
    assert "有应答 (answers): evaluator（协议 " in "\n".join(lines)
    assert lines[-1] == "  处理 (fix): " + lines[-1].split("处理 (fix): ")[1] and "35 个设备有应答，1 个已配置的设备没有应答 (35 device(s) " \
        "answer, 1 configured device(s) do not)" in lines


def test_screen_command_writes_the_text(hall_file, capsys):
    path, sim, _ = hall_file
    assert main(["--config", str(path), "diag", "screen", "--bus", "floor1", "--address", "105",
                 "--text", "请A023号到5号窗口", "--line2", "不动产登记"]) == 0
    assert sim.screen(105).lines == ("请A023号到5号窗口", "不动产登记")
    assert main(["--config", str(path), "diag", "screen", "--bus", "nowhere", "--address", "1", "--text", "x"]) == 2
    assert "no bus 'nowhere'" in capsys.readouterr().err


def test_watch_shows_keys(hall_file, capsys):
    path, sim, _ = hall_file
    kp = sim.keypad(3)

    def press_once_heard():  # a key pressed before the first poll is the baseline, not an event
        deadline = time.monotonic() + 5
        while kp.requests < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        kp.press("PAUSE", 2)

    t = threading.Thread(target=press_once_heard)
    t.start()
    assert main(["--config", str(path), "diag", "bus", "floor1", "--watch", "--seconds", "2.5"]) == 0
    t.join()
    out = capsys.readouterr().out
    assert "窗口 (window)   3 keypad" in out and "PAUSE 暂停" in out and "参数 (argument) 2" in out, out
    assert out.startswith("正在监听总线 floor1：按呼叫键盘上的键（只显示，不执行）；Ctrl-C 停止 (watching bus floor1:"), out
    assert "\n计数 (counters): {" in out, out


def test_budget_reports_cycle_against_wire(hall_file, capsys):
    path, sim, _ = hall_file
    assert main(["--config", str(path), "diag", "bus", "floor1", "--budget", "--seconds", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["online"] == 36 and out["polls_per_cycle"] == 24  # screens are checked slowly
    # 8E1 (the default): 19 bytes x 11 bits + 3.5 x 11 bits of gap at 9600 baud + 2 ms turnaround
    assert out["format"] == "8E1" and out["bits_per_char"] == 11 and out["frame_gap_ms"] == 4.01
    assert out["poll_budget_ms"] == 27.78
    assert out["budget_ms"] == pytest.approx(24 * 27.78, abs=1)
    assert main(["--config", str(path), "diag", "bus", "floor1", "--budget", "--seconds", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("总线 floor1：36 个设备中 36 个在线，每轮轮询 24 个（窗口屏每 ") and "(bus floor1: 36 of 36" in lines[0]
    assert lines[1].startswith("一轮轮询 ") and "按线路速度（9600 波特 8E1，每字节 11 位）应为 " in lines[1], lines
    assert any(ln.startswith("出错：") and ln.endswith(" port faults)") for ln in lines), lines


def test_check_names_the_device_that_does_not_answer(hall_file):
    path, sim, ctx = hall_file
    sim.evaluator(58).silent = True
    results = diag_bus.check(ctx)
    bad = [r for r in results if not r.ok]
    assert [r.device for r in bad] == ["bus floor1 address 58 (window 8 evaluator)"]
    assert "address switch/setting is 58" in bad[0].fix
    assert sum(r.ok for r in results) == 36  # 35 devices and the bus itself

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
    assert "window   3 keypad" in out and "PAUSE 暂停" in out and "argument 2" in out


def test_budget_reports_cycle_against_wire(hall_file, capsys):
    path, sim, _ = hall_file
    assert main(["--config", str(path), "diag", "bus", "floor1", "--budget", "--seconds", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["online"] == 36 and out["polls_per_cycle"] == 24  # screens are checked slowly
    # 8E1 (the default): 19 bytes x 11 bits + 3.5 x 11 bits of gap at 9600 baud + 2 ms turnaround
    assert out["format"] == "8E1" and out["bits_per_char"] == 11 and out["frame_gap_ms"] == 4.01
    assert out["poll_budget_ms"] == 27.78
    assert out["budget_ms"] == pytest.approx(24 * 27.78, abs=1)


def test_check_names_the_device_that_does_not_answer(hall_file):
    path, sim, ctx = hall_file
    sim.evaluator(58).silent = True
    results = diag_bus.check(ctx)
    bad = [r for r in results if not r.ok]
    assert [r.device for r in bad] == ["bus floor1 address 58 (window 8 evaluator)"]
    assert "address switch/setting is 58" in bad[0].fix
    assert sum(r.ok for r in results) == 36  # 35 devices and the bus itself

"""`jiaohao demo --headless` as a user runs it: a subprocess, a summary at the end."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _voice_engine_present() -> bool:
    try:
        import display.announcer  # noqa: F401
        import drivers.tts  # noqa: F401
    except ImportError:
        return False
    return True


def _printer_present() -> bool:
    try:
        import drivers.printer  # noqa: F401
        import kiosk.printing  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.slow
def test_headless_half_hour_at_speed_60(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, JIAOHAO_DB=str(tmp_path / "must-not-be-used.sqlite"))
    env.pop("JIAOHAO_NOW", None)
    proc = subprocess.run(
        [sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "30", "--speed", "60",
         "--seed", "5", "--out", str(out), "--json"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    s = report["summary"]
    assert s["issued"] > 0
    assert s["served"] > 0
    assert s["issued"] >= s["served"] + s["no_shows"] + s["still_waiting"]
    assert s["mean_wait_min"] is not None and 0 <= s["mean_wait_min"] < 60
    assert "issued" in proc.stderr  # the live status line
    assert not (tmp_path / "must-not-be-used.sqlite").exists()  # a temporary database
    if _printer_present():
        assert len(list((out / "tickets").glob("*.png"))) > 0
        assert report["outputs"]["ticket_pngs"] > 0
    if _voice_engine_present():
        assert len(list((out / "voice").glob("*.wav"))) > 0


def test_demo_refuses_a_bad_speed():
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--speed", "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--speed" in proc.stderr


def test_demo_keeps_the_database_when_asked(tmp_path):
    db = tmp_path / "demo.sqlite"
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "5",
                           "--speed", "300", "--db", str(db), "--out", str(tmp_path / "o")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert db.exists()
    assert str(db) in proc.stdout


def test_demo_ignores_the_real_hall_in_the_environment(tmp_path):
    """$JIAOHAO_CONFIG names the real hall on a hall PC: the demo still runs the demo hall."""
    real = tmp_path / "real.toml"
    text = (ROOT / "config" / "halls" / "demo.toml").read_text(encoding="utf-8")
    real.write_text(text.replace('url = "sim://floor1"', 'url = "/dev/ttyUSB-real-hall"'), encoding="utf-8")
    env = dict(os.environ, JIAOHAO_CONFIG=str(real))
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "3",
                           "--speed", "300", "--out", str(tmp_path / "o"), "--json"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = json.loads(proc.stdout.strip().splitlines()[-1])["notes"]
    assert not any("real devices" in n for n in notes)
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "--config", str(real), "demo", "--headless",
                           "--minutes", "3", "--speed", "300", "--out", str(tmp_path / "o2"), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    notes = json.loads(proc.stdout.strip().splitlines()[-1])["notes"]
    assert any("real devices" in n and "/dev/ttyUSB-real-hall" in n for n in notes)

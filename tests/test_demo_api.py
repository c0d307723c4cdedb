"""The demo serves the hall API (docs/api.md) on loopback and says where; a bad
``--listen`` is refused in words. Where this build has no API server yet, the demo says
so and runs without it."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from config import DEMO_HALL
from jiaohao.demo.runner import DemoHall, DemoOptions

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("bad", ["8080", "localhost:http", "127.0.0.1:70000", ":8080"])
def test_a_bad_listen_address_is_refused_in_words(bad):
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "1",
                           "--listen", bad], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--listen must be HOST:PORT" in proc.stderr and "Traceback" not in proc.stderr


def test_headless_serves_the_api_only_when_asked(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "2",
                           "--speed", "300", "--seed", "1", "--listen", "127.0.0.1:0", "--json",
                           "--out", str(tmp_path / "o")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    api = report["outputs"]["api"]
    if api is None:  # no API server in this build: said, not failed
        assert any(n.startswith("大厅接口：这个版本没有，演示不提供网页 (hall API: not in this build") for n in report["notes"])
    else:
        assert api.startswith("http://127.0.0.1:") and api.endswith("/api/v1")
        assert f"jiaohao demo: 大厅接口 (hall API) on {api}" in proc.stderr
    quiet = subprocess.run([sys.executable, "-m", "jiaohao", "demo", "--headless", "--minutes", "1",
                            "--speed", "300", "--json", "--out", str(tmp_path / "o2")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    report = json.loads(quiet.stdout.strip().splitlines()[-1])
    assert report["outputs"]["api"] is None and "hall API" not in quiet.stderr


def test_the_api_answers_while_the_demo_runs(demo_config, tmp_path):
    pytest.importorskip("server.runner")
    httpx = pytest.importorskip("httpx")
    hall = DemoHall(demo_config, DEMO_HALL, DemoOptions(speed=300, minutes=3, out_dir=tmp_path / "o", seed=2,
                                                        listen="127.0.0.1:0"))
    hall.start()
    try:
        assert hall.api_url and hall.api_url.startswith("http://127.0.0.1:")
        stop = threading.Event()
        hall.run(stop)
        health = httpx.get(f"{hall.api_url}/api/v1/health", timeout=5)
        assert health.status_code == 200 and health.json()["hall"] == demo_config.hall.name
        book = httpx.get(f"{hall.api_url}/book", timeout=5)  # the demo hall has booking slots (config/halls/demo.toml)
        assert book.status_code == 200
        assert all(f'href="/book/{s}"' in book.text for s in "ACH") and 'href="/book/B"' not in book.text
        days = httpx.get(f"{hall.api_url}/book/A", timeout=5)
        assert days.status_code == 200 and 'href="/book/A/20' in days.text  # days with slots to book
        day = re.search(r'href="(/book/A/\d{4}-\d\d-\d\d)"', days.text).group(1)
        assert f'href="{day}/0900"' in httpx.get(f"{hall.api_url}{day}", timeout=5).text  # a slot offered
    finally:
        hall.stop()
        hall.close()

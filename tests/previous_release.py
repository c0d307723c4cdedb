"""The previous release as a program the tests can run: jiaohao 0.1.0, the code of main
before issue 21 (migrations 0001_initial and 0002_report_indexes, no version record),
taken from the repository's history with `git archive`."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMIT = "201078e9d558c7c45688620e1cd39c75cc8eec1f"  # main as it was when 0.1.0 was the version
VERSION = "0.1.0"
MIGRATIONS = ["0001_initial", "0002_report_indexes"]
PACKAGES = ["config", "hall", "drivers", "caller", "display", "kiosk", "server", "jiaohao"]
DAY = "2026-11-23T09:00:00"  # a Monday: every demo service is open


def unpack(dest: Path) -> Path:
    """The previous release's packages in ``dest`` (skips the test when the clone lacks it)."""
    r = subprocess.run(["git", "-C", str(ROOT), "archive", COMMIT, *PACKAGES], capture_output=True, timeout=60)
    if r.returncode != 0:
        pytest.skip(f"the previous release ({COMMIT[:7]}) is not in this clone's history: "
                    f"{r.stderr.decode(errors='replace').strip()}")
    with tarfile.open(fileobj=io.BytesIO(r.stdout)) as tar:
        tar.extractall(dest, filter="data")
    return dest


def run(code: Path, db: Path, *args: str, now: str = DAY, timeout: float = 60) -> subprocess.CompletedProcess:
    """`jiaohao ARGS` of the program whose packages are in ``code`` (its folder comes first
    on sys.path), on the demo hall and ``db``."""
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": now}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          env=env, cwd=code, timeout=timeout)


def wrapper_venv(code: Path, venv: Path) -> Path:
    """A folder shaped like an installed virtualenv (``bin/jiaohao``) that runs ``code``:
    what install.sh finds as the version installed before."""
    (venv / "bin").mkdir(parents=True)
    script = venv / "bin" / "jiaohao"
    script.write_text(f'#!/bin/sh\ncd "{code}" && exec "{sys.executable}" -m jiaohao "$@"\n')
    script.chmod(0o755)
    return venv

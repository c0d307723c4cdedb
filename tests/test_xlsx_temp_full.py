"""The xlsx writers (report, guide export) with their temporary folder full: exit 2 with
one line, and nothing after it (openpyxl's half-written sheet used to print "Exception
ignored in: <generator object WorksheetWriter.get_stream …>" and a traceback at exit)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from tests.city_helpers import simulate_days
from tests.small_disk import small_tmpfs


def _run(*args, env=None, preexec_fn=None):
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})}, preexec_fn=preexec_fn)


def _assert_one_line(r, *words):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert "Exception ignored" not in r.stderr and "Traceback" not in r.stderr
    for w in words:
        assert w in lines[0], lines[0]


@pytest.fixture
def small_temp_disk():
    with small_tmpfs("64k", "jiaohao-tmpfull-") as where:
        yield where


@pytest.mark.parametrize("leave_kib", [12, 32])
def test_a_report_whose_temporary_folder_fills_mid_sheet_exits_cleanly(tmp_path, small_temp_disk, leave_kib):
    db = tmp_path / "hall.sqlite"
    simulate_days(db, date(2026, 9, 1), days=60, per_day=10, seed=1).close()  # a 60-row sheet
    with open(small_temp_disk / "fill", "wb") as f:  # Python's own probe file still fits; the sheet does not
        f.write(b"\0" * (shutil.disk_usage(small_temp_disk).free - leave_kib * 1024))
    out = tmp_path / "r.xlsx"
    r = _run("--db", str(db), "report", "--from", "2026-09-01", "--to", "2026-10-30", "--by", "day",
             "--format", "xlsx", "-o", str(out), env={"TMPDIR": str(small_temp_disk)})
    _assert_one_line(r, "jiaohao: 无法生成 xlsx 报表", f"temporary files go to {small_temp_disk}",
                     "No space left on device")
    assert not out.exists()
    assert [p.name for p in small_temp_disk.iterdir()] == ["fill"]  # openpyxl's temporary files removed


def _small_files():
    import resource
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))  # every file stops at 2 KB (Python ignores SIGXFSZ)


def test_guide_export_whose_temporary_file_cannot_grow_exits_cleanly(tmp_path):
    out = tmp_path / "guide.xlsx"
    r = _run("guide", "export", str(out), preexec_fn=_small_files)
    _assert_one_line(r, f"jiaohao: 无法生成 {out}", "File too large", "temporary files go to")
    assert not out.exists()

"""`jiaohao backup` when a disk is full says so (which folder, how much is free, nothing
kept, the hall database untouched) instead of "not a readable SQLite database (disk I/O
error)". On a real full filesystem: a small tmpfs (root only; skipped with the reason
otherwise), and an ENOSPC injected at the final rename (any user)."""
from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from hall.backup import make_backup
from hall.backup_folder import BackupError
from tests.city_helpers import simulate_days
from tests.small_disk import small_tmpfs


@pytest.fixture(scope="module")
def hall_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("hall") / "hall.sqlite"
    simulate_days(db, date(2026, 11, 2), days=2, per_day=300, seed=1).close()  # about 700 KiB
    return db


@pytest.fixture
def small_disk():
    """A 2 MiB tmpfs, unmounted afterwards."""
    with small_tmpfs("2m", "jiaohao-full-") as where:
        yield where


def _fill(disk: Path, leave: int = 0) -> None:
    """Fill ``disk`` until only about ``leave`` bytes are free."""
    free = shutil.disk_usage(disk).free - leave
    with open(disk / "fill", "ab") as f:
        try:
            f.write(b"\0" * max(0, free))
            f.flush()
        except OSError as e:
            assert e.errno == errno.ENOSPC


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _backup(db: Path, *args: str):
    r = subprocess.run([sys.executable, "-m", "jiaohao", "--db", str(db), "backup", *args],
                       capture_output=True, text=True, timeout=60)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert "not a readable" not in lines[0] and "disk I/O error" not in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("leave", [0, 300_000], ids=["no-space", "less-than-a-copy"])
def test_backup_into_a_full_folder_names_it_and_keeps_nothing(hall_db, small_disk, leave):
    folder = small_disk / "backups"
    folder.mkdir()
    before = _sha(hall_db)
    _fill(small_disk, leave)
    line = _backup(hall_db, "--to", str(folder))
    assert line.startswith("jiaohao: 备份失败：备份文件夹") and "已满" in line, line
    assert f"backup folder {folder} is full" in line and "KiB free" in line, line
    assert "nothing was kept" in line and f"the hall database {hall_db} is untouched" in line, line
    assert list(folder.iterdir()) == []  # no half-written .part left behind
    assert _sha(hall_db) == before


def test_the_database_and_its_backups_on_one_full_disk(hall_db, small_disk):
    db = small_disk / "hall.sqlite"
    shutil.copy(hall_db, db)
    _fill(small_disk)
    line = _backup(db)  # the default folder: backups/ beside the database
    assert f"backup folder {small_disk / 'backups'} is full" in line and "also the database's disk" in line, line
    assert "数据库未改动；这也是数据库所在的磁盘，大厅也写不进去了，请马上腾出空间 (backup failed" in line, line
    assert _sha(db) == _sha(hall_db)
    assert [p.name for p in (small_disk / "backups").iterdir()] == []


def test_the_database_disk_full_and_the_backup_folder_fine(hall_db, small_disk, tmp_path):
    db = small_disk / "hall.sqlite"
    shutil.copy(hall_db, db)
    _fill(small_disk)
    line = _backup(db, "--to", str(tmp_path))
    assert f"the disk of the database's folder {small_disk} is full" in line and "nothing was kept" in line, line
    assert list(tmp_path.iterdir()) == []


def test_enospc_at_the_final_rename_removes_the_copy(hall_db, tmp_path, monkeypatch):
    real_replace = os.replace

    def full(src, dst, *a, **kw):
        if str(dst).endswith(".sqlite") and ".part" in str(src):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real_replace(src, dst, *a, **kw)

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(BackupError, match="is full") as info:
        make_backup(hall_db, tmp_path / "b.sqlite")
    assert "nothing was kept" in str(info.value)
    assert list(tmp_path.iterdir()) == []

"""`jiaohao backup` and `jiaohao restore` as a technician runs them (real subprocesses):
a restore brings the records back, keeps the replaced database aside with its WAL, and
is refused for a damaged or foreign backup and while another process has the hall open."""
from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import time

import pytest


def run(tmp_path, *args):
    env = {**os.environ, "JIAOHAO_DB": str(tmp_path / "hall.sqlite"), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          timeout=60)


def ok(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def numbers(path) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT number FROM tickets ORDER BY id")]
    finally:
        conn.close()


def one_line_refusal(proc, *words):
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr


@pytest.fixture
def hall_with_backup(tmp_path):
    """A001, A002 issued, backed up, then A003 issued after the backup."""
    ok(run(tmp_path, "queue", "issue", "A", "--json"))
    ok(run(tmp_path, "queue", "issue", "A", "--json"))
    taken = ok(run(tmp_path, "backup", "--json"))
    ok(run(tmp_path, "queue", "issue", "A", "--json"))
    return tmp_path / "hall.sqlite", taken


def test_restore_brings_back_the_backup_and_keeps_the_replaced_database(tmp_path, hall_with_backup):
    db, taken = hall_with_backup
    backup = taken["path"]
    assert os.path.dirname(backup) == str(tmp_path / "backups")
    listed = ok(run(tmp_path, "backup", "list", "--check", "--json"))
    assert [b["path"] for b in listed["backups"]] == [backup] and listed["backups"][0]["ok"]
    # the replaced database's newest change may sit only in its WAL (as after a power cut)
    keeper = sqlite3.connect(db)
    keeper.execute("PRAGMA wal_autocheckpoint = 0")
    keeper.execute("UPDATE tickets SET kiosk = 'only-in-wal' WHERE number = 'A003'")
    keeper.commit()
    main, wal = db.read_bytes(), (tmp_path / "hall.sqlite-wal").read_bytes()
    keeper.close()  # the last connection checkpoints on close; put the crash state back
    db.write_bytes(main)
    (tmp_path / "hall.sqlite-wal").write_bytes(wal)
    (tmp_path / "hall.sqlite-shm").unlink(missing_ok=True)

    out = ok(run(tmp_path, "restore", os.path.basename(backup), "--json"))  # a name from `backup list` is enough
    assert numbers(db) == ["A001", "A002"]
    assert not (tmp_path / "hall.sqlite-wal").exists() and not (tmp_path / "hall.sqlite-shm").exists()
    assert stat.S_IMODE(db.stat().st_mode) == 0o660
    aside = [p for p in out["kept_aside"] if not p.endswith(("-wal", "-shm"))]
    assert len(aside) == 1 and ".before-restore-" in aside[0]
    assert numbers(aside[0]) == ["A001", "A002", "A003"]
    conn = sqlite3.connect(aside[0])  # its WAL moved with it: the change is still there
    assert conn.execute("SELECT kiosk FROM tickets WHERE number = 'A003'").fetchone()[0] == "only-in-wal"
    conn.close()
    assert sorted(p.name for p in (tmp_path / "backups").iterdir()) == [os.path.basename(backup)], \
        "checking and restoring a backup leaves nothing beside it"
    # the hall goes on from the restored records
    assert ok(run(tmp_path, "queue", "issue", "A", "--json"))["number"] == "A003"


def test_restore_refused_while_the_hall_has_the_database_open(tmp_path, hall_with_backup):
    db, taken = hall_with_backup
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from config import DEMO_HALL, load_hall; from hall import HallQueue; "
         "q = HallQueue(sys.argv[1], load_hall(DEMO_HALL)); q.waiting_by_service(); print('open', flush=True); "
         "time.sleep(60)", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        proc = run(tmp_path, "restore", taken["path"])
        one_line_refusal(proc, "open in", f"pid {holder.pid}", "systemctl stop jiaohao-serve")
        assert numbers(db) == ["A001", "A002", "A003"], "nothing was replaced"
        assert not list(tmp_path.glob("*.before-restore-*"))
    finally:
        holder.kill()
        holder.wait(timeout=10)
    time.sleep(0.1)
    ok(run(tmp_path, "restore", taken["path"], "--json"))
    assert numbers(db) == ["A001", "A002"]


def test_damaged_or_strange_backups_are_refused(tmp_path, hall_with_backup):
    db, taken = hall_with_backup
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"\0" * 8192)
    one_line_refusal(run(tmp_path, "restore", str(junk)), "不能恢复 (cannot be restored)",
                     "不是 SQLite 数据库文件 (it is not an SQLite database")
    damaged = tmp_path / "damaged.sqlite"
    conn = sqlite3.connect(taken["path"])
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'tickets'").fetchone()[0]
    page = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    data = bytearray(open(taken["path"], "rb").read())
    data[root * page - 300: root * page - 100] = b"\x07" * 200  # the tickets rows at the end of their page
    damaged.write_bytes(bytes(data))
    one_line_refusal(run(tmp_path, "restore", str(damaged)), "cannot be restored", "已损坏 (SQLite finds it damaged)")
    one_line_refusal(run(tmp_path, "restore", str(tmp_path / "nope.sqlite")), "文件不存在 (the file does not exist)")
    one_line_refusal(run(tmp_path, "restore", str(db)), "就是数据库本身", "the database itself")
    assert numbers(db) == ["A001", "A002", "A003"]
    assert not list(tmp_path.glob("*.before-restore-*"))


def test_a_backup_of_another_hall_needs_other_hall(tmp_path, hall_with_backup):
    db, taken = hall_with_backup
    for path, hall_id in ((db, "hall-1111"), (taken["path"], "hall-2222")):
        os.chmod(path, 0o660)
        conn = sqlite3.connect(path)
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('hall_id', ?)", (hall_id,))
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('hall_name', ?)", (f"hall {hall_id}",))
        conn.commit()
        conn.close()
    one_line_refusal(run(tmp_path, "restore", taken["path"]), "是另一个大厅（hall hall-2222）的备份", "another hall",
                     "--other-hall")
    assert numbers(db) == ["A001", "A002", "A003"]
    p = run(tmp_path, "restore", taken["path"], "--other-hall")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("已恢复 (restored)") and "（完整性良好，2 张票，营业日 2026-11-23） (integrity OK" in p.stdout
    assert numbers(db) == ["A001", "A002"]


def test_backup_list_says_ages_chinese_first(tmp_path, hall_with_backup):
    p = run(tmp_path, "backup", "list", "--check")
    assert p.returncode == 0, p.stderr
    [line] = [ln for ln in p.stdout.splitlines() if ".sqlite" in ln]
    assert "不到 1 分钟前 (less than a minute ago)" in line and line.endswith("完好 OK")
    p = run(tmp_path, "backup", "--to", str(tmp_path / "nope" / "x.sqlite"))
    one_line_refusal(p, f"文件夹 {tmp_path / 'nope'} 不存在 (folder", "does not exist")


def test_restore_over_a_damaged_database(tmp_path, hall_with_backup):
    db, taken = hall_with_backup
    garbage = b"this was a database before the power cut" * 100
    db.write_bytes(garbage)
    out = ok(run(tmp_path, "restore", taken["path"], "--json"))
    assert numbers(db) == ["A001", "A002"]
    kept = [p for p in out["kept_aside"] if not p.endswith(("-wal", "-shm"))]
    assert open(kept[0], "rb").read() == garbage, "the damaged file is kept for whoever investigates"


def test_backup_to_a_path_and_errors_in_one_line(tmp_path, hall_with_backup):
    db, _ = hall_with_backup
    out = ok(run(tmp_path, "backup", "--to", str(tmp_path / "usb.sqlite"), "--json"))
    assert numbers(out["path"]) == ["A001", "A002", "A003"]
    one_line_refusal(run(tmp_path, "backup", "--to", str(tmp_path / "usb.sqlite")), "already exists")
    one_line_refusal(run(tmp_path, "backup", "--to", str(tmp_path / "no" / "such" / "x.sqlite")), "does not exist")
    (tmp_path / "usb").mkdir()
    into = ok(run(tmp_path, "backup", "--to", str(tmp_path / "usb"), "--json"))
    assert into["path"].startswith(str(tmp_path / "usb" / "hall-"))


def test_diag_check_reports_the_backup_age(tmp_path, hall_with_backup):
    proc = run(tmp_path, "diag", "check", "--json")
    rows = {r["device"]: r for r in json.loads(proc.stdout)["devices"]}
    assert rows["backups"]["ok"] and "last good backup" in rows["backups"]["detail"]
    assert rows["backups"]["detail"].startswith("最近一次完好的备份：") and rows["backups"]["device_zh"] == "备份"


def test_a_restore_that_cannot_write_its_copy_says_so_and_changes_nothing(tmp_path, hall_with_backup, monkeypatch):
    import errno

    from hall.backup_folder import BackupError
    from hall.backup_restore import restore
    db, taken = hall_with_backup
    real_open = os.open

    def full(path, *args, **kw):
        if str(path).endswith(".restoring"):
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real_open(path, *args, **kw)
    monkeypatch.setattr(os, "open", full)
    with pytest.raises(BackupError) as e:
        restore(taken["path"], db)
    assert str(e.value).startswith(f"在 {tmp_path} 写不了恢复出来的数据库，什么也没改 "
                                   f"(cannot write the restored database beside {db}; nothing was changed): ")
    assert numbers(db) == ["A001", "A002", "A003"] and not list(tmp_path.glob("*.before-restore-*"))

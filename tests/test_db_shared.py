"""The installed layout with two real users: `serve` as the service user (umask 0007) and the
kiosk as a desktop user (umask 0022) in the same group, sharing one database in a 2770
setgid folder; and a third user who may only read.

Runs `python -m jiaohao` as other uids (root may start them without accounts); skipped
when the tests do not run as root or no interpreter reachable by other users is found.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVE_UID, KIOSK_UID, READER_UID = 47101, 47102, 47103  # unused uids, no accounts needed
HALL_GID, OTHER_GID = 47100, 47109


def _interpreter() -> str | None:
    """A Python other users may run, with this environment's packages on its path."""
    probe = [sys.executable, "/usr/bin/python3", "/usr/local/bin/python3"]
    ver = f"{sys.version_info.major}.{sys.version_info.minor}"
    for exe in probe:
        if not os.path.exists(exe):
            continue
        try:
            r = subprocess.run([exe, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"],
                               capture_output=True, text=True, user=SERVE_UID, group=HALL_GID, timeout=30)
        except OSError:  # e.g. a Python under /root
            continue
        if r.returncode == 0 and r.stdout.strip() == ver:
            return exe
    return None


pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run commands as other uids")


@pytest.fixture(scope="module")
def python():
    exe = _interpreter()
    if exe is None:
        pytest.skip("no Python of this version that other uids may run")
    return exe


@pytest.fixture
def hall_dir():
    top = Path(tempfile.mkdtemp(prefix="jiaohao-shared-"))  # /tmp, which other users can reach
    os.chmod(top, 0o755)
    d = top / "var-lib-jiaohao"
    d.mkdir()
    os.chown(d, SERVE_UID, HALL_GID)
    os.chmod(d, 0o2770)  # as deploy/jiaohao.tmpfiles.conf makes it
    yield d
    shutil.rmtree(top, ignore_errors=True)


def jiaohao(python, db: Path, uid: int, gid: int, *args, umask: int = 0o007, groups=()):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(db.parent.parent), "JIAOHAO_DB": str(db),
           "JIAOHAO_NOW": "2026-11-23T09:00:00", "LANG": "C.UTF-8",
           "PYTHONPATH": os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"],
                                          sysconfig.get_paths()["platlib"]])}
    return subprocess.run([python, "-m", "jiaohao", *args], capture_output=True, text=True, env=env,
                          user=uid, group=gid, extra_groups=list(groups), umask=umask, timeout=60, cwd="/")


HOLD = """
import sys, time
from hall.db import connect
c = connect(sys.argv[1]); c.execute("SELECT count(*) FROM tickets").fetchone()
print("open", flush=True); time.sleep(float(sys.argv[2]))
"""


def hold_open(python, db: Path, uid: int, gid: int, umask: int, seconds: float = 8.0):
    """A process of ``uid`` holding the database open (as a running kiosk does): the -wal and
    -shm are then that user's files."""
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]]), "PATH": "/usr/bin:/bin"}
    p = subprocess.Popen([python, "-c", HOLD, str(db), str(seconds)], stdout=subprocess.PIPE, text=True,
                         env=env, user=uid, group=gid, umask=umask, cwd="/")
    assert p.stdout.readline().strip() == "open"
    return p


def modes(db: Path) -> dict[str, tuple[str, int]]:
    out = {}
    for f in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
        if f.exists():
            st = f.stat()
            out[f.name] = (oct(stat.S_IMODE(st.st_mode)), st.st_gid)
    return out


def test_service_user_and_kiosk_user_share_the_database(python, hall_dir):
    db = hall_dir / "hall.sqlite"
    serve = jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A", "--json")
    assert serve.returncode == 0, serve.stderr
    assert "made a new, empty hall" in serve.stderr and str(db) in serve.stderr
    assert modes(db)["hall.sqlite"] == ("0o660", HALL_GID)
    for f in (Path(f"{db}-wal"), Path(f"{db}-shm")):  # nothing holds it: start the kiosk afresh
        f.unlink(missing_ok=True)
    # the kiosk user (desktop umask 022) opens it first: -wal/-shm are its own files
    holder = hold_open(python, db, KIOSK_UID, HALL_GID, umask=0o022)
    try:
        assert Path(f"{db}-wal").stat().st_uid == KIOSK_UID
        kiosk = jiaohao(python, db, KIOSK_UID, HALL_GID, "queue", "issue", "A", "--json", umask=0o022)
        assert kiosk.returncode == 0, kiosk.stderr
        assert json.loads(kiosk.stdout)["number"] == "A002"
        # ... and serve still writes through the kiosk user's -wal/-shm
        call = jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "call", "1", "--json")
        assert call.returncode == 0, call.stderr
        assert json.loads(call.stdout)["number"] == "A001"
        m = modes(db)
        assert m == {"hall.sqlite": ("0o660", HALL_GID), "hall.sqlite-wal": ("0o660", HALL_GID),
                     "hall.sqlite-shm": ("0o660", HALL_GID)}, m
    finally:
        holder.kill()
        holder.wait()
    # the kiosk died with its -wal/-shm left behind: serve is not locked out
    again = jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["number"] == "A003"
    check = jiaohao(python, db, KIOSK_UID, HALL_GID, "diag", "check", "--json")
    found = {d["device"]: d for d in json.loads(check.stdout)["devices"] if d["device"].startswith("database")}
    sharing = next(d for name, d in found.items() if "sharing" in name)
    assert sharing["ok"], sharing
    assert all(d["ok"] for d in found.values()), found


def test_database_made_0640_by_an_older_version_is_healed_and_explained(python, hall_dir):
    db = hall_dir / "hall.sqlite"
    assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A").returncode == 0
    os.chmod(db, 0o640)  # what SQLite made under UMask=0007 before
    check = jiaohao(python, db, KIOSK_UID, HALL_GID, "diag", "check", "--json")
    sharing = next(d for d in json.loads(check.stdout)["devices"] if d["device"].startswith("database sharing"))
    assert not sharing["ok"] and "0640" in sharing["detail"] and "chmod 0660" in sharing["fix"], sharing
    kiosk = jiaohao(python, db, KIOSK_UID, HALL_GID, "queue", "issue", "A", umask=0o022)
    assert kiosk.returncode == 2 and kiosk.stderr.count("\n") == 1, kiosk.stderr
    assert str(db) in kiosk.stderr and "Traceback" not in kiosk.stderr
    # the owner (serve) heals it at its next start; then the kiosk works
    assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "status").returncode == 0
    assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A").returncode == 0
    assert modes(db)["hall.sqlite"] == ("0o660", HALL_GID)
    kiosk = jiaohao(python, db, KIOSK_UID, HALL_GID, "queue", "issue", "A", umask=0o022)
    assert kiosk.returncode == 0, kiosk.stderr


@pytest.mark.parametrize("writer_running", [True, False], ids=["serve-running", "nothing-running"])
def test_read_only_commands_need_no_write_access(python, hall_dir, writer_running):
    db = hall_dir / "hall.sqlite"
    for _ in range(3):
        assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A").returncode == 0
    assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "call", "1").returncode == 0
    os.chmod(hall_dir, 0o2750)  # the reader's group may enter and read, never write
    for f in hall_dir.iterdir():
        os.chmod(f, 0o640)
    holder = hold_open(python, db, SERVE_UID, HALL_GID, umask=0o027) if writer_running else None
    if not writer_running:
        for f in (Path(f"{db}-wal"), Path(f"{db}-shm")):
            f.unlink(missing_ok=True)
    try:
        before = sorted(os.listdir(hall_dir))
        status = jiaohao(python, db, READER_UID, OTHER_GID, "queue", "status", "--json", groups=[HALL_GID])
        assert status.returncode == 0, status.stderr
        got = json.loads(status.stdout)
        assert {s["code"]: s["waiting"] for s in got["services"]}["A"] == 2
        assert got["windows"][0]["current"] == "A001"
        report = jiaohao(python, db, READER_UID, OTHER_GID, "report", "--from", "2026-11-23", "--format", "json",
                         groups=[HALL_GID])
        assert report.returncode == 0, report.stderr
        assert json.loads(report.stdout)["total"]["issued"] == 3
        for args in (["bookings", "list"], ["bookings", "suspensions"], ["ratings", "export"],  # built since #19
                     ["ratings", "follow-ups"], ["ratings", "indicators"], ["devices", "list"], ["staff", "list"],
                     ["ship", "--status"], ["version"]):
            p = jiaohao(python, db, READER_UID, OTHER_GID, *args, groups=[HALL_GID])
            assert p.returncode == 0 and "Traceback" not in p.stderr, (args, p.stderr)
        issue = jiaohao(python, db, READER_UID, OTHER_GID, "queue", "issue", "A", groups=[HALL_GID])
        assert issue.returncode == 2 and issue.stderr.count("\n") == 1, issue.stderr
        assert str(db) in issue.stderr and "Traceback" not in issue.stderr
        assert sorted(os.listdir(hall_dir)) == before  # reading made no file
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()


def test_kiosk_files_in_a_folder_without_setgid_do_not_lock_serve_out(python, hall_dir):
    """The old layout (StateDirectory 0770, no setgid): the kiosk user's -wal/-shm got its
    own group and locked serve out. The kiosk now gives its files the folder's group, and
    `diag check` says the folder needs the setgid bit."""
    kiosk_gid = 47108  # the desktop user's own group; jiaohao's group is supplementary
    os.chmod(hall_dir, 0o770)
    db = hall_dir / "hall.sqlite"
    assert jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A").returncode == 0
    for f in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        f.unlink(missing_ok=True)
    env_groups = [HALL_GID]
    holder = subprocess.Popen(
        [python, "-c", HOLD, str(db), "8"], stdout=subprocess.PIPE, text=True, cwd="/",
        env={"PYTHONPATH": os.pathsep.join([str(ROOT), sysconfig.get_paths()["purelib"]]), "PATH": "/usr/bin:/bin"},
        user=KIOSK_UID, group=kiosk_gid, extra_groups=env_groups, umask=0o022)
    try:
        assert holder.stdout.readline().strip() == "open"
        assert modes(db)["hall.sqlite-wal"] == ("0o660", HALL_GID)
        serve = jiaohao(python, db, SERVE_UID, HALL_GID, "queue", "issue", "A", "--json")
        assert serve.returncode == 0, serve.stderr
        assert json.loads(serve.stdout)["number"] == "A002"
    finally:
        holder.kill()
        holder.wait()
    check = jiaohao(python, db, SERVE_UID, HALL_GID, "diag", "check", "--json")
    sharing = next(d for d in json.loads(check.stdout)["devices"] if d["device"].startswith("database sharing"))
    assert not sharing["ok"] and "setgid" in sharing["detail"] and "chmod 2770" in sharing["fix"], sharing

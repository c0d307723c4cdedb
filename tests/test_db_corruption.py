"""Damaged database files: every variant is either refused in one line that says what is
wrong and what to do, or read correctly — never a traceback, never silently wrong data — and
`serve` does not die on a damaged event row (it skips it and says so once, with its id)."""
from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import struct
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from config import DEMO_HALL, load_hall
from hall import EventFeed, FixedClock, HallQueue
from hall.errors import DatabaseProblem
from jiaohao.context import Context

NOW = datetime(2026, 11, 23, 9, 0)
MARKER = "MARKER-EVENT-0123456789"


def jiaohao(db, *args, timeout=60):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": NOW.isoformat()}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A hall with tickets, calls, a rating and a marked event, all in the file itself."""
    d = tmp_path_factory.mktemp("base")
    db = d / "hall.sqlite"
    q = HallQueue(db, load_hall(DEMO_HALL), clock=FixedClock(NOW))
    for _ in range(40):
        q.issue("A")
    for _ in range(30):
        q.issue("B")
    q.call_next(1)
    q.finish(1)
    q.rate(1, 5)
    q.call_next(2)
    q.log_event("note", text=MARKER)
    q.close()
    assert not Path(f"{db}-wal").exists()
    status = jiaohao(db, "queue", "status", "--json")
    assert status.returncode == 0, status.stderr
    return db, json.loads(status.stdout)


def _pages(db: Path) -> tuple[int, dict[str, int]]:
    c = sqlite3.connect(db)
    roots = {r[0]: r[1] for r in c.execute("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0")}
    size = c.execute("PRAGMA page_size").fetchone()[0]
    c.close()
    return size, roots


def _leaf_of(db: Path, table: str) -> int:
    """A leaf page of a table (its root may be an interior page)."""
    size, roots = _pages(db)
    data = db.read_bytes()
    page = roots[table]
    while True:
        off = (page - 1) * size + (100 if page == 1 else 0)
        if data[off] in (0x0D, 0x0A):  # table / index leaf
            return page
        page = struct.unpack(">I", data[off + 8:off + 12])[0]  # right-most child


def _patch(db: Path, offset: int, new: bytes) -> None:
    with open(db, "r+b") as f:
        f.seek(offset)
        f.write(new)


def _page_off(db: Path, page: int) -> tuple[int, int]:
    size, _ = _pages(db)
    return (page - 1) * size, size


def truncate_half(db):
    os.truncate(db, db.stat().st_size // 2)


def truncate_header_only(db):
    os.truncate(db, 100)


def truncate_odd(db):
    os.truncate(db, db.stat().st_size - 1000)


def magic(db):
    _patch(db, 0, b"XQLite")


def page_size_field(db):
    _patch(db, 16, b"\x00\x03")


def read_version(db):
    _patch(db, 18, b"\x09\x09")


def freelist_head(db):
    _patch(db, 32, struct.pack(">I", 999_999))


def schema_text(db):
    i = db.read_bytes().find(b"CREATE TABLE tickets")
    assert i > 0
    _patch(db, i, b"CREATE TABLE ticket(")


def zero_page(table):
    def f(db):
        off, size = _page_off(db, _leaf_of(db, table))
        _patch(db, off, b"\0" * size)
    f.__name__ = f"zero_{table}_leaf"
    return f


def garbage_page(table):
    def f(db):
        off, size = _page_off(db, _leaf_of(db, table))
        _patch(db, off, random.Random(7).randbytes(size))
    f.__name__ = f"garbage_{table}_leaf"
    return f


def btree_header(table):
    def f(db):
        off, _ = _page_off(db, _leaf_of(db, table))
        _patch(db, off + 3, b"\xff\xff")  # number of cells
    f.__name__ = f"cell_count_{table}"
    return f


def zero_root(index):
    def f(db):
        _, roots = _pages(db)
        off, size = _page_off(db, roots[index])
        _patch(db, off, b"\0" * size)
    f.__name__ = f"zero_{index}"
    return f


def event_data_not_json(db):
    data = db.read_bytes()
    i = data.find(MARKER.encode())
    _patch(db, i - 2, b"'")  # {"text": "MARKER…  ->  {"text": 'MARKER…


def event_data_not_utf8(db):
    data = db.read_bytes()
    i = data.find(MARKER.encode())
    _patch(db, i + 3, b"\xff")


def _with_wal(db: Path, extra_tickets: int) -> None:
    """Tickets written after the file was made, only in its -wal (a killed process)."""
    code = (
        "import os, sys\n"
        "from datetime import datetime\n"
        "from config import DEMO_HALL, load_hall\n"
        "from hall import FixedClock, HallQueue\n"
        "q = HallQueue(sys.argv[1], load_hall(DEMO_HALL), clock=FixedClock(datetime(2026, 11, 23, 9, 0)))\n"
        "q._checkpointer.stop()\n"
        f"[q.issue('C') for _ in range({extra_tickets})]\n"
        "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(db)], check=True, timeout=60)


def zero_shm(db):
    _with_wal(db, 3)
    shm = Path(f"{db}-shm")
    shm.write_bytes(b"\0" * shm.stat().st_size)


def garbage_shm(db):
    _with_wal(db, 3)
    shm = Path(f"{db}-shm")
    shm.write_bytes(random.Random(3).randbytes(shm.stat().st_size))


def foreign_wal(db):
    other = db.parent / "other"
    other.mkdir()
    shutil.copy(db, other / "hall.sqlite")
    (other / "hall.sqlite").unlink()
    _with_wal(other / "hall.sqlite", 5)
    shutil.copy(other / "hall.sqlite-wal", f"{db}-wal")


def wal_garbage_header(db):
    _with_wal(db, 3)
    Path(f"{db}-shm").unlink()
    _patch(Path(f"{db}-wal"), 0, b"\x13\x37\x13\x37")


VARIANTS = {  # name: (make it, what must happen: refused | intact | wal_lost)
    "truncate-half": (truncate_half, "refused"),
    "truncate-header-only": (truncate_header_only, "refused"),
    "truncate-odd": (truncate_odd, "refused"),
    "header-magic": (magic, "refused"),
    "header-page-size": (page_size_field, "refused"),
    "header-read-version": (read_version, "refused"),
    "header-freelist": (freelist_head, "refused"),
    "schema-text": (schema_text, "refused"),
    "zero-tickets-leaf": (zero_page("tickets"), "refused"),
    "zero-events-leaf": (zero_page("events"), "refused"),
    "garbage-tickets-leaf": (garbage_page("tickets"), "refused"),
    "garbage-calls-leaf": (garbage_page("calls"), "refused"),
    "cell-count-tickets": (btree_header("tickets"), "refused"),
    "cell-count-windows": (btree_header("windows"), "refused"),
    "zero-index-tickets_day": (zero_root("tickets_day"), "refused"),
    "zero-index-tickets_waiting": (zero_root("tickets_waiting"), "refused"),
    "event-data-not-json": (event_data_not_json, "intact"),
    "event-data-not-utf8": (event_data_not_utf8, "intact"),
    "zero-shm": (zero_shm, "intact+3"),
    "garbage-shm": (garbage_shm, "intact+3"),
    "foreign-wal": (foreign_wal, "refused"),
    "wal-bad-header": (wal_garbage_header, "wal_lost"),
}


@pytest.fixture
def damaged(base, tmp_path, request):
    db_src, status = base
    db = tmp_path / "hall.sqlite"
    shutil.copy(db_src, db)
    make, expect = VARIANTS[request.param]
    make(db)
    return db, status, expect


def _waiting(status: dict) -> dict:
    return {s["code"]: s["waiting"] for s in status["services"]}


@pytest.mark.parametrize("damaged", sorted(VARIANTS), indirect=True)
def test_damaged_database_is_refused_in_words_or_read_right(damaged):
    db, good, expect = damaged
    status = jiaohao(db, "queue", "status", "--json")
    issue = jiaohao(db, "queue", "issue", "A", "--json")
    for p in (status, issue):
        assert "Traceback" not in p.stderr, p.stderr
        assert p.returncode in (0, 2), p.stderr
    for p in (status, issue):
        if p.returncode == 2:
            assert p.stderr.count("\n") == 1 and str(db) in p.stderr, p.stderr
    if expect == "refused":
        # a one-shot command reads only the pages it needs: it refuses when it meets the
        # damage, else its answer must be right (the long-running programs check it all)
        assert status.returncode == 2 or _waiting(json.loads(status.stdout)) == _waiting(good)
        assert issue.returncode == 2 or json.loads(issue.stdout)["number"] == "A041"
        return
    assert status.returncode == 0, status.stderr
    assert issue.returncode == 0, issue.stderr
    got = json.loads(status.stdout)
    want = _waiting(good)
    if expect == "intact+3":  # the -wal's three C tickets were recovered from the -wal itself
        want["C"] += 3
    assert _waiting(got) == want
    assert [w["current"] for w in got["windows"]] == [w["current"] for w in good["windows"]]
    assert json.loads(issue.stdout)["number"] == "A041"


@pytest.mark.parametrize("damaged", [v for v, (_, e) in sorted(VARIANTS.items()) if e == "refused"],
                         indirect=True)
def test_long_running_programs_refuse_at_start_with_the_restore_hint(damaged):
    db, _, _ = damaged
    ctx = Context(db=str(db))
    with pytest.raises(DatabaseProblem) as err:
        ctx.open_queue(quick_check=True)
    assert err.value.path == str(db)
    if err.value.kind == "corrupt":
        assert "jiaohao restore" in err.value.fix


def test_quick_check_finds_what_the_first_queries_do_not(base, tmp_path):
    """An index page zeroed: opening and the status work, the quick check at start does not."""
    db = tmp_path / "hall.sqlite"
    shutil.copy(base[0], db)
    zero_root("calls_report")(db)
    with pytest.raises(DatabaseProblem) as err:
        Context(db=str(db)).open_queue(quick_check=True)
    assert err.value.kind == "corrupt" and err.value.what.startswith(
        "数据库已损坏，SQLite 的检查发现 "), err.value.what
    assert "problem(s)), 第一处 (first): " in err.value.what, err.value.what
    check = jiaohao(db, "diag", "check", "--json")
    integrity = [d for d in json.loads(check.stdout)["devices"] if d["device"].startswith("database integrity")]
    assert integrity and not integrity[0]["ok"] and "jiaohao restore" in integrity[0]["fix"]


def test_feed_skips_a_damaged_event_and_says_so_once(base, tmp_path, caplog):
    db = tmp_path / "hall.sqlite"
    shutil.copy(base[0], db)
    event_data_not_json(db)
    q = HallQueue(db, load_hall(DEMO_HALL), clock=FixedClock(NOW))
    try:
        bad = q._conn.execute("SELECT id FROM events WHERE data LIKE ?", (f"%{MARKER}%",)).fetchone()[0]
        feeds = [EventFeed(q, start=bad - 3), EventFeed(q, start=bad - 3)]
        q.issue("A")
        for feed in feeds:
            ids = [e.id for e in feed.poll()]
            assert bad not in ids and ids == [i for i in range(bad - 2, q.last_event_id() + 1) if i != bad]
            assert feed.skipped == [bad]
            assert feed.poll() == []
        said = [r for r in caplog.records if f"event {bad} " in r.getMessage()]
        assert len(said) == 1 and "damaged" in said[0].getMessage()
    finally:
        q.close()


def test_serve_keeps_running_over_a_damaged_event(base, tmp_path):
    db = tmp_path / "hall.sqlite"
    shutil.copy(base[0], db)
    q = HallQueue(db, load_hall(DEMO_HALL), clock=FixedClock(NOW))
    last = q.last_event_id()
    for consumer in ("announcer", "bus:floor1"):  # as if serve ran before the damage
        q.set_cursor(consumer, last - 3)
    q.close()
    event_data_not_json(db)
    for _ in range(2):  # and at the next start again: no crash loop
        p = jiaohao(db, "serve", "--seconds", "1.5", timeout=90)
        assert p.returncode == 0, p.stderr[-2000:]
        assert "Traceback" not in p.stderr, p.stderr[-3000:]
        assert p.stderr.count("ERROR hall.eventlog: event") == 1, p.stderr[-3000:]


def test_serve_refuses_a_damaged_database_at_start_in_words(base, tmp_path):
    """serve stops with exit 2 (the units do not restart on it) and says what to do."""
    db = tmp_path / "hall.sqlite"
    shutil.copy(base[0], db)
    zero_root("calls_report")(db)  # the first queries do not see it; the quick check does
    p = jiaohao(db, "serve", timeout=90)
    assert p.returncode == 2, p.stderr[-2000:]
    assert "Traceback" not in p.stderr
    last = p.stderr.strip().splitlines()[-1]
    assert last.startswith("jiaohao: 排队数据库 (queue database) ") and str(db) in last and "jiaohao restore" in last
    assert "starting" not in p.stderr  # no part was started on it

"""Several processes on one queue file: no ticket called twice, no number issued twice,
and a writer killed with SIGKILL leaves a consistent database."""
from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sqlite3
import time

import pytest

from tests import procs

pytestmark = pytest.mark.slow


def test_50_windows_and_2_kiosks_in_6_processes(tmp_path):
    db = str(tmp_path / "hall.sqlite")
    procs.open_large(db).close()  # create and migrate once
    ctx = mp.get_context("spawn")
    out, done = ctx.Queue(), ctx.Event()
    windows = list(range(1, 51))
    kiosks = [ctx.Process(target=procs.kiosk, args=(db, seed, 300, out)) for seed in (1, 2)]
    callers = [ctx.Process(target=procs.caller, args=(db, windows[i::4], done, out)) for i in range(4)]
    for p in callers + kiosks:
        p.start()
    results = {"issued": [], "called": []}
    for _ in kiosks:
        kind, rows = out.get(timeout=120)
        results[kind].extend(rows)
    done.set()
    for _ in callers:
        kind, rows = out.get(timeout=120)
        results[kind].extend(rows)
    for p in callers + kiosks:
        p.join(timeout=30)
        assert p.exitcode == 0

    issued_numbers = [n for _, n in results["issued"]]
    assert len(issued_numbers) == 600
    assert len(set(issued_numbers)) == 600, "a number was issued twice"
    called_ids = [tid for _, tid in results["called"]]
    assert len(called_ids) == len(set(called_ids)), "a ticket was called twice"
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT max(n) FROM (SELECT count(*) n FROM calls GROUP BY ticket_id)").fetchone()[0] == 1
        assert c.execute("SELECT count(*) FROM events WHERE kind = 'called'").fetchone()[0] == len(called_ids)
        # tickets of services that windows 51-72 alone serve are still waiting; all others were called
        waiting = c.execute("SELECT count(*) FROM tickets WHERE status = 'waiting'").fetchone()[0]
        assert waiting + len(called_ids) == 600


def consistency_problems(db: str) -> list[str]:
    c = sqlite3.connect(db)
    problems = []
    if c.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        problems.append("integrity_check failed")
    checks = {
        "a called ticket without an open call": "SELECT count(*) FROM tickets t WHERE status = 'called' AND NOT EXISTS "
            "(SELECT 1 FROM calls WHERE ticket_id = t.id AND ended_at IS NULL)",
        "a serving window whose ticket is not called": "SELECT count(*) FROM windows w JOIN tickets t "
            "ON t.id = w.current_ticket WHERE t.status != 'called' OR t.window != w.number",
        "calls and called events differ": "SELECT (SELECT count(*) FROM calls) != "
            "(SELECT count(*) FROM events WHERE kind = 'called')",
        "tickets and issued events differ": "SELECT (SELECT count(*) FROM tickets) != "
            "(SELECT count(*) FROM events WHERE kind = 'issued')",
        "a counter behind its tickets": "SELECT count(*) FROM counters k WHERE last_seq != "
            "(SELECT max(seq) FROM tickets t WHERE t.day = k.day AND t.prefix = k.prefix)",
        "finished events and finished calls differ": "SELECT (SELECT count(*) FROM calls WHERE outcome = 'finished') "
            "!= (SELECT count(*) FROM events WHERE kind = 'finished')",
    }
    for what, sql in checks.items():
        if c.execute(sql).fetchone()[0]:
            problems.append(what)
    c.close()
    return problems


def test_sigkill_mid_load_leaves_a_consistent_database(tmp_path):
    db = str(tmp_path / "hall.sqlite")
    procs.open_large(db).close()
    ctx = mp.get_context("spawn")
    for round_ in range(3):
        p = ctx.Process(target=procs.busy_writer, args=(db,))
        p.start()
        time.sleep(2.0 + 0.37 * round_)
        os.kill(p.pid, signal.SIGKILL)
        p.join()
        assert p.exitcode == -signal.SIGKILL
        assert consistency_problems(db) == []
    q = procs.open_large(db)  # restart: the queue opens and works
    t = q.issue(q.config.services[0].code)
    assert q.ticket(t.id).status == "waiting"
    with sqlite3.connect(db) as c:
        assert c.execute("SELECT count(*) FROM tickets").fetchone()[0] > 50

"""An upgrade in the middle of a business day (issue 21): a database made and used by the
previous release (0.1.0, the real code from the repository's history) is opened by this
version, which migrates it and goes on with the same day: tickets, numbering and calls
kept. Rolling back restores the backup taken before, which the previous release reads."""
from __future__ import annotations

import json
import sqlite3

import pytest

from hall import versions
from hall.db import known_migrations

from . import previous_release as previous
from .previous_release import ROOT


def rows(db, sql):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [tuple(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def ok(p):
    assert p.returncode == 0, (p.args, p.stdout, p.stderr)
    return json.loads(p.stdout) if p.stdout.startswith("{") else p.stdout


@pytest.fixture(scope="module")
def old_code(tmp_path_factory):
    return previous.unpack(tmp_path_factory.mktemp("jiaohao-0.1.0"))


def business_day(old_code, db):
    """The morning so far, with the previous release: tickets issued, called, finished, rated,
    skipped, one window paused."""
    old = lambda *a: ok(previous.run(old_code, db, *a, "--json"))  # noqa: E731
    for service in "AAAABBC":
        old("queue", "issue", service)
    assert old("queue", "call", "1")["number"] == "A001"
    old("queue", "finish", "1")
    old("queue", "rate", "1", "5")
    assert old("queue", "call", "1")["number"] == "A002"
    assert old("queue", "call", "2")["number"] == "A003"
    old("queue", "skip", "2")  # a no-show
    old("queue", "pause", "3", "--reason", "lunch")
    return old("queue", "status")


def test_the_previous_release_is_what_the_test_says(old_code, tmp_path):
    p = previous.run(old_code, tmp_path / "h.sqlite", "--version")
    assert p.stdout.strip() == f"jiaohao {previous.VERSION}"
    ok(previous.run(old_code, tmp_path / "h.sqlite", "queue", "issue", "A", "--json"))
    assert [r[0] for r in rows(tmp_path / "h.sqlite", "SELECT name FROM migrations ORDER BY name")] == previous.MIGRATIONS
    assert rows(tmp_path / "h.sqlite", "SELECT value FROM meta WHERE key = 'program_version'") == []


def test_upgrade_in_the_middle_of_the_day_keeps_tickets_numbers_and_calls(old_code, tmp_path):
    db = tmp_path / "hall.sqlite"
    before = business_day(old_code, db)
    tickets_before = rows(db, "SELECT id, number, status, window, calls FROM tickets ORDER BY id")
    calls_before = rows(db, "SELECT id, ticket_id, window, outcome FROM calls ORDER BY id")
    events_before = rows(db, "SELECT max(id) FROM events")[0][0]

    new = lambda *a: ok(previous.run(ROOT, db, *a))  # noqa: E731  this version, same day
    backup = tmp_path / "before-upgrade.sqlite"
    new("backup", "--to", str(backup))
    migrated = new("migrate", "--json")
    assert migrated["applied"] == [m for m in known_migrations() if m not in previous.MIGRATIONS]
    record = new("version", "--json")["record"]
    assert record["state"] == "current" and record["program_version"] == versions.VERSION
    assert [m["name"] for m in record["migrations"]] == known_migrations()

    # everything of the morning is there, as it was
    assert rows(db, "SELECT id, number, status, window, calls FROM tickets ORDER BY id") == tickets_before
    assert rows(db, "SELECT id, ticket_id, window, outcome FROM calls ORDER BY id") == calls_before
    status = new("queue", "status", "--json")
    assert status["services"] == before["services"]
    assert [(w["number"], w["state"], w["current"], w["pause_reason"]) for w in status["windows"]] == \
           [(w["number"], w["state"], w["current"], w["pause_reason"]) for w in before["windows"]]

    # and the day goes on: numbers continue, the called ticket is finished by its window
    assert new("queue", "issue", "A", "--json")["number"] == "A005"
    assert new("queue", "issue", "B", "--json")["number"] == "B003"
    assert new("queue", "finish", "1", "--json")["number"] == "A002"
    assert new("queue", "call", "1", "--json")["number"] == "A004"  # A003 was skipped
    assert rows(db, "SELECT count(*) FROM calls")[0][0] == len(calls_before) + 1
    assert rows(db, f"SELECT count(*) FROM events WHERE id > {events_before}")[0][0] >= 4
    p = previous.run(ROOT, db, "report", "--format", "json")
    assert p.returncode == 0 and json.loads(p.stdout), p.stderr  # the day's figures, across the upgrade

    # rollback: the previous release reads the backup and the day goes on from it
    ok(previous.run(ROOT, db, "restore", str(backup)))
    p = previous.run(old_code, db, "queue", "status", "--json")
    assert ok(p)["services"] == before["services"]
    assert ok(previous.run(old_code, db, "queue", "issue", "A", "--json"))["number"] == "A005"


def test_a_database_of_this_version_is_refused_by_a_newer_schema_only(old_code, tmp_path):
    """The previous release opens what this version made when no migration was added since;
    this version refuses what a newer one migrated (tests/test_versions.py has the words)."""
    db = tmp_path / "hall.sqlite"
    ok(previous.run(ROOT, db, "queue", "issue", "A", "--json"))
    if known_migrations() == previous.MIGRATIONS:
        assert ok(previous.run(old_code, db, "queue", "issue", "A", "--json"))["number"] == "A002"
    else:
        pytest.skip("this version added migrations: the previous release (which has no check) must "
                    "not be run on its databases; install.sh --rollback restores the backup instead")

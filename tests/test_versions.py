"""Versions: one VERSION for the wheel, `jiaohao --version` and the database; what a database
records of the programs that opened it; a database migrated by a newer jiaohao refused in
words (issue 21)."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hall import HallQueue, db as hall_db, versions
from hall.errors import DatabaseProblem

ROOT = Path(__file__).resolve().parents[1]


def jiaohao(db, *args, timeout=60):
    env = {**os.environ, "JIAOHAO_DB": str(db), "JIAOHAO_NOW": "2026-11-23T09:00:00"}
    env.pop("JIAOHAO_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "jiaohao", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, cwd=ROOT)


def meta(db, key):
    conn = sqlite3.connect(db)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def add_future_migration(db, name="0999_from_a_newer_jiaohao", by="9.9.0"):
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("INSERT INTO migrations VALUES (?, 2000000000)", (name,))
        conn.execute("UPDATE meta SET value = ? WHERE key = 'program_version'", (by,))
    conn.close()


def test_the_version_is_written_once_and_the_wheel_reads_it():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and "version" in project["project"]["dynamic"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "hall.versions.VERSION"}
    import jiaohao
    assert jiaohao.__version__ == versions.VERSION


def test_dash_dash_version(tmp_path):
    p = jiaohao(tmp_path / "hall.sqlite", "--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout == f"jiaohao {versions.VERSION} (database schema {hall_db.known_migrations()[-1]})\n"
    assert not (tmp_path / "hall.sqlite").exists()  # --version opens no database


def test_a_database_records_the_version_that_opened_it(queue, db_path, demo_config, clock, monkeypatch):
    assert meta(db_path, "program_version") == versions.VERSION
    history = json.loads(meta(db_path, "program_versions"))
    assert [h[0] for h in history] == [versions.VERSION]
    queue.close()

    # the same version again writes nothing (no WAL frame at an ordinary start)
    conn = hall_db.connect(db_path)
    assert versions.record_open(conn) is False
    conn.close()

    # an upgrade, then a rollback to the older one: both in the history, in order
    monkeypatch.setattr(versions, "VERSION", "0.3.0")
    HallQueue(db_path, demo_config, clock).close()
    monkeypatch.setattr(versions, "VERSION", "0.2.0")
    HallQueue(db_path, demo_config, clock).close()
    assert meta(db_path, "program_version") == "0.2.0"
    assert [h[0] for h in json.loads(meta(db_path, "program_versions"))] == [history[0][0], "0.3.0", "0.2.0"]


def test_an_older_program_refuses_a_database_a_newer_one_migrated(db_path, demo_config, clock, monkeypatch):
    HallQueue(db_path, demo_config, clock).close()
    older = hall_db.MIGRATIONS[:-1]  # the program as it was before the last migration was written
    monkeypatch.setattr(hall_db, "MIGRATIONS", older)
    with pytest.raises(DatabaseProblem) as e:
        HallQueue(db_path, demo_config, clock)
    assert e.value.kind == "newer"
    assert hall_db.known_migrations()[-1] not in str(e.value)
    with pytest.raises(DatabaseProblem) as e:
        hall_db.connect_readonly(str(db_path))  # reports and status too: never misread
    assert e.value.kind == "newer"
    monkeypatch.undo()
    HallQueue(db_path, demo_config, clock).close()  # the program that knows it opens it


@pytest.mark.parametrize("argv", [("queue", "status"), ("queue", "issue", "A"), ("serve",), ("migrate",)])
def test_a_newer_database_is_refused_in_one_line(tmp_path, argv):
    db = tmp_path / "hall.sqlite"
    assert jiaohao(db, "queue", "issue", "A").returncode == 0
    add_future_migration(db)
    before = db.read_bytes()
    p = jiaohao(db, *argv, timeout=30)
    assert p.returncode == 2, (p.stdout, p.stderr)
    assert p.stderr.count("\n") == 1 and "Traceback" not in p.stderr, p.stderr
    for words in ("newer jiaohao (9.9.0)", f"this jiaohao {versions.VERSION}", "0999_from_a_newer_jiaohao",
                  "install.sh --rollback"):
        assert words in p.stderr
    # Chinese first, the English in the bracket
    assert (f"排队数据库 (queue database) {db}: 较新的 jiaohao（9.9.0）升级过它，本 jiaohao {versions.VERSION} "
            f"不认识它的数据库变更 0999_from_a_newer_jiaohao，不能使用 (a newer jiaohao (9.9.0)") in p.stderr, p.stderr
    assert "; 重新安装那个版本" in p.stderr
    assert db.read_bytes() == before  # nothing written into it


def test_version_command_shows_the_database_record(tmp_path):
    db = tmp_path / "hall.sqlite"
    p = jiaohao(db, "version", "--json")
    assert p.returncode == 0 and json.loads(p.stdout)["record"] is None
    assert "还没有" in jiaohao(db, "version").stdout and not db.exists()

    jiaohao(db, "queue", "issue", "A")
    out = json.loads(jiaohao(db, "version", "--json").stdout)
    assert out["version"] == versions.VERSION
    rec = out["record"]
    assert rec["state"] == "current" and rec["program_version"] == versions.VERSION
    assert [m["name"] for m in rec["migrations"]] == hall_db.known_migrations()
    assert all(m["applied_at"] > 1.7e9 for m in rec["migrations"])
    text = jiaohao(db, "version").stdout
    assert "已是最新" in text and hall_db.known_migrations()[0] in text

    add_future_migration(db)
    p = jiaohao(db, "version")
    assert p.returncode == 2 and "较新" in p.stdout and "0999_from_a_newer_jiaohao" in p.stdout
    assert p.stderr.count("\n") == 1


def test_migrate_applies_what_is_pending_and_only_that(tmp_path):
    db = tmp_path / "hall.sqlite"
    p = jiaohao(db, "migrate")
    assert p.returncode == 2 and "nothing to upgrade" in p.stderr and not db.exists()

    jiaohao(db, "queue", "issue", "A")
    last = "0002_report_indexes"  # indexes only: dropped and made again without a trace
    conn = sqlite3.connect(db)
    with conn:  # as if made before that migration existed
        for statement in hall_db._statements(dict(hall_db.MIGRATIONS)[last]):
            name = statement.split()[2]
            conn.execute(f"DROP {statement.split()[1]} {name}")
        conn.execute("DELETE FROM migrations WHERE name = ?", (last,))
    conn.close()
    assert json.loads(jiaohao(db, "version", "--json").stdout)["record"]["pending"] == [last]
    p = jiaohao(db, "migrate", "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["applied"] == [last]
    assert json.loads(jiaohao(db, "migrate", "--json").stdout)["applied"] == []

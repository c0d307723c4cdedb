"""`jiaohao version`: this program's version and what the queue database records (the
versions that opened it, its migrations); `jiaohao migrate`: apply this version's
migrations now (install.sh does it after taking a backup, before starting the hall)."""
from __future__ import annotations

import sys
from datetime import datetime

from ..cli import emit

STATES = {
    "current": "已是最新 (up to date)",
    "needs_migration": "待升级 (this version upgrades it when it opens it: `jiaohao migrate`)",
    "newer": "较新 (upgraded by a newer jiaohao: this version refuses it)",
}


def register(sub) -> None:
    p = sub.add_parser("version", help="this program's version and the database's (versions, migrations)")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=version)
    m = sub.add_parser("migrate", help="upgrade the queue database to this version now (take a backup first)")
    m.add_argument("--json", action="store_true", help="one JSON object on stdout")
    m.set_defaults(func=migrate)


def _when(t: float) -> str:
    return datetime.fromtimestamp(t).strftime("%Y-%m-%d %H:%M:%S")


def _database(path: str) -> dict | None:
    """The database's record, read without writing and without the newer-version refusal."""
    import os

    from hall import dbfile
    from hall.db import connect_readonly, known_migrations
    from hall.versions import describe
    if not os.path.lexists(path):
        return None
    dbfile.check_path(path, may_create=False)
    dbfile.check_wal(path)
    conn = connect_readonly(path, check=False)
    try:
        dbfile.check_jiaohao_tables(conn, path)
        return describe(conn, known_migrations())
    finally:
        conn.close()


def version(ctx, args) -> int:
    from hall.db import known_migrations
    from hall.versions import VERSION
    path = str(ctx.db_path)
    db = _database(path)
    obj = {"version": VERSION, "migrations": known_migrations(), "database": path, "record": db}
    lines = [f"jiaohao {VERSION}", f"  数据库结构 (database schema): {', '.join(known_migrations())}"]
    if db is None:
        lines.append(f"数据库 (database) {path}: 还没有 (none yet; made by the first program that opens it)")
    else:
        lines.append(f"数据库 (database) {path}: {STATES[db['state']]}")
        history = ", ".join(f"{v['version']} ({_when(v['first_opened_at'])})" for v in db["versions"])
        lines.append(f"  打开过的版本 (versions that opened it): {history or 'none recorded (before 0.2)'}")
        lines.append("  迁移 (migrations): " + ", ".join(f"{m['name']} ({_when(m['applied_at'])})"
                                                      for m in db["migrations"]))
        if db["pending"]:
            lines.append(f"  待应用 (to apply): {', '.join(db['pending'])}")
        if db["unknown"]:
            lines.append(f"  本版本不认识 (unknown to this version): {', '.join(db['unknown'])}")
    emit(args, obj, "\n".join(lines))
    if db is not None and db["state"] == "newer":
        from hall.db import connect_readonly
        try:
            connect_readonly(path).close()  # the refusal, in the words every command uses
        except Exception as e:  # noqa: BLE001 - printed as the one-line reason
            from .inputs import printable
            print(printable(f"jiaohao: {e}"), file=sys.stderr)
        return 2
    return 0


def migrate(ctx, args) -> int:
    from hall.db import connect
    from hall.versions import VERSION, applied_migrations
    path = str(ctx.db_path)
    before = _database(path)
    if before is None:
        from ..context import CommandError
        raise CommandError(f"没有排队数据库 {path}，无需升级，请检查 --db 或 JIAOHAO_DB "
                           f"(there is no queue database at {path}: nothing to upgrade)")
    conn = connect(path, create=False)  # refuses a newer database; applies the pending migrations
    try:
        now = [name for name, _ in applied_migrations(conn)]
    finally:
        conn.close()
    done = [m for m in now if m not in {x["name"] for x in before["migrations"]}]
    emit(args, {"version": VERSION, "database": path, "applied": done, "migrations": now},
         f"数据库已升级 (database upgraded) {path} to jiaohao {VERSION}: applied {', '.join(done)}" if done
         else f"数据库已是最新 (database already up to date) {path}: jiaohao {VERSION}")
    return 0

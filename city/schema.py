"""The city database: connecting (password from a file or the environment), and its
own named migrations in city/migrations/NNNN_name.sql, recorded in city.migrations.

Run by the city's owner role (`jiaohao city migrate URL`), never by a hall: a hall's
login may insert and update records, not change the schema.
"""
from __future__ import annotations

import logging
import os
from datetime import date
from pathlib import Path

log = logging.getLogger(__name__)

PASSWORD_ENV = "JIAOHAO_CITY_PASSWORD"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")


class CityError(Exception):
    """The city database cannot be used as asked (refused, not migrated): a person must act."""

    temporary = False


class CityUnreachable(CityError):
    """The city database did not answer (refused port, time-out, network down): try again later."""

    temporary = True


def connect_failure(e: BaseException, url: str) -> CityError:
    """The one line for a failed connection, as :class:`CityUnreachable` when trying again
    later may work, else as :class:`CityError`."""
    from .reach import classify, where
    temporary, reason = classify(e)
    at = where(url)
    if temporary:
        return CityUnreachable(f"市级数据库 {at} 暂时连不上，请稍后再试 (cannot reach the city database at {at}: "
                               f"{reason}; try again later)")
    return CityError(f"市级数据库 {at} 无法连接，请检查设置 (cannot reach the city database {redact(url)}: "
                     f"{reason})")


def _migrations() -> list[tuple[str, str]]:
    return [(p.stem, p.read_text(encoding="utf-8"))
            for p in sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]*_*.sql"))]


def read_password(password_file: str = "", base: Path | None = None) -> str | None:
    """The password for the city database: $JIAOHAO_CITY_PASSWORD, else the first line of
    ``password_file`` (relative to ``base``, the hall file's folder), else None (libpq's
    ~/.pgpass, a client certificate or a password in the URL given on the command line)."""
    env = os.environ.get(PASSWORD_ENV)
    if env:
        return env
    if not password_file:
        return None
    path = Path(password_file).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CityError(f"读不了市级数据库密码文件 {path} (cannot read the city password file): {e.strerror or e}") from None
    password = text.splitlines()[0].strip() if text.strip() else ""
    if not password:
        raise CityError(f"市级数据库密码文件 {path} 是空的 (the city password file {path} is empty)")
    return password


def connect(url: str, password: str | None = None, timeout_s: float = 10.0, autocommit: bool = False,
            application: str = "jiaohao"):
    """A psycopg connection to the city database, or :class:`CityError` in one line."""
    import psycopg
    kwargs = {"connect_timeout": max(1, int(round(timeout_s))), "application_name": application,
              "autocommit": autocommit}
    if password is not None:
        kwargs["password"] = password
    try:
        return psycopg.connect(url, **kwargs)
    except psycopg.Error as e:
        raise connect_failure(e, url) from None


def redact(url: str) -> str:
    """The URL without a password in it (for messages and logs)."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    auth, _, host = rest.partition("@")
    return f"{head}://{auth.split(':', 1)[0]}@{host}"


def one_line(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def migrate(conn) -> list[str]:
    """Apply the city migrations not yet applied, each in its own transaction; several
    `migrate` runs at once wait for each other (an advisory lock)."""
    applied = []
    conn.autocommit = True  # each transaction() block below is a real transaction
    with conn.transaction():
        conn.execute("CREATE SCHEMA IF NOT EXISTS city")
        conn.execute("CREATE TABLE IF NOT EXISTS city.migrations "
                     "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())")
    for name, sql in _migrations():
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('city.migrate'))")
            if conn.execute("SELECT 1 FROM city.migrations WHERE name = %s", (name,)).fetchone():
                continue
            conn.execute(sql)
            conn.execute("INSERT INTO city.migrations (name) VALUES (%s)", (name,))
        applied.append(name)
        log.info("city database: applied %s", name)
    return applied


def applied_migrations(conn) -> list[str]:
    try:
        return [r[0] for r in conn.execute("SELECT name FROM city.migrations ORDER BY name")]
    except Exception:  # noqa: BLE001 - no schema yet
        if not conn.autocommit:
            conn.rollback()
        return []


def check_ready(conn) -> None:
    """:class:`CityError` unless the city schema is there and not newer than this program."""
    known = [name for name, _ in _migrations()]
    have = applied_migrations(conn)
    if not have:
        raise CityError("市级数据库还没有建表：请先以其所有者身份运行 `jiaohao city migrate URL`，见 docs/city.md "
                        "(the city database has no city schema yet: run `jiaohao city migrate URL` "
                        "as its owner first)")
    missing = [n for n in known if n not in have]
    if missing:
        raise CityError(f"市级数据库缺少升级 {missing[0]}：请用这个版本以其所有者身份运行 `jiaohao city migrate URL` "
                        f"(the city database lacks migration {missing[0]}: run `jiaohao city migrate URL` "
                        "with this version as its owner)")


def months_between(d0: date, d1: date) -> list[date]:
    out, m = [], date(d0.year, d0.month, 1)
    while m <= d1:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def ensure_months(conn, days) -> int:
    """Make the monthly partitions the given business days fall in (own short
    transaction: partition DDL locks the parent table, so never inside a batch)."""
    days = sorted({date.fromisoformat(d) if isinstance(d, str) else d for d in days})
    if not days:
        return 0
    made = 0
    with conn.transaction():
        for m in months_between(days[0], days[-1]):
            made += conn.execute("SELECT city.ensure_month(%s)", (m,)).fetchone()[0]
    return made

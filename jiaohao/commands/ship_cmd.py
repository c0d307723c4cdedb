"""`jiaohao ship`: send this hall's records to the city's PostgreSQL ([city] in the hall
file); `jiaohao city`: set up the city database (migrations) and look at it.

    jiaohao ship --once          ship until the city has everything, then exit (cron, scripts)
    jiaohao ship                 keep shipping (serve does this itself when [city] is set)
    jiaohao ship --status        how far the city is behind, from the hall's own record
    jiaohao city migrate URL     create or upgrade the city schema (as the city's owner)
    jiaohao city halls URL       the halls the city has, and how fresh each one is
"""
from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime

from ..context import CommandError, TryLater

log = logging.getLogger(__name__)


def register(sub) -> None:
    p = sub.add_parser("ship", help="ship this hall's records to the city's PostgreSQL ([city] database)",
                       description="Ship tickets, calls, ratings and refusals to the city database named in "
                                   "the hall file's [city] section (docs/city.md). Safe to stop at any moment: "
                                   "what the city has not committed is shipped again, never twice.")
    p.add_argument("--once", action="store_true", help="ship until the city has every record, then exit")
    p.add_argument("--status", action="store_true", help="how far the city is behind (reads only this hall)")
    p.add_argument("--adopt", action="store_true",
                   help="this database replaces the one the city had under this hall_code (after a reinstall)")
    p.add_argument("--json", action="store_true", help="--once/--status: one JSON object on stdout")
    p.add_argument("--seconds", type=float, default=None, help="without --once: stop after this long")
    p.set_defaults(func=ship)
    c = sub.add_parser("city", help="the city database: create or upgrade its schema, list its halls",
                       description="The city's PostgreSQL (docs/city.md). URL: postgresql://user@host/db; the "
                                   "password from JIAOHAO_CITY_PASSWORD or ~/.pgpass, never on the command line.")
    csub = c.add_subparsers(dest="city_command", metavar="COMMAND", required=True)
    m = csub.add_parser("migrate", help="create or upgrade the city schema (run as the database's owner)")
    m.add_argument("url", metavar="URL")
    m.set_defaults(func=city_migrate)
    h = csub.add_parser("halls", help="the halls shipping to this city and when each last shipped")
    h.add_argument("url", metavar="URL")
    h.add_argument("--json", action="store_true", help="one JSON object on stdout")
    h.set_defaults(func=city_halls)
    i = csub.add_parser("indicators", help="好差评 indicators over the city's halls (好评率, 差评率, 未评价率, "
                                           "主动评价好评率, 整改率, 回访率)")
    i.add_argument("url", metavar="URL")
    i.add_argument("--month", metavar="YYYY-MM", help="a calendar month (default: this month)")
    i.add_argument("--from", dest="date_from", metavar="DATE")
    i.add_argument("--to", dest="date_to", metavar="DATE")
    i.add_argument("--by", choices=("hall", "department", "item"), default="hall")
    i.add_argument("--hall", dest="halls", action="append", metavar="CODE", help="only this hall (repeatable)")
    i.add_argument("--format", choices=("table", "csv", "json"), default="table")
    i.set_defaults(func=city_indicators_cmd)


def _fail(message: str, temporary: bool = False):
    """One line on stderr: exit 75 when trying again later may work (the city did not
    answer), else 2 (a person must fix something first)."""
    raise (TryLater if temporary else CommandError)(message)


def _psycopg_failure(e: BaseException, what: str):
    """A psycopg error after the connection was made, as :func:`_fail` says it."""
    from city.reach import classify
    from city.schema import one_line
    temporary, _ = classify(e)
    _fail(f"{what}: {one_line(e)}", temporary)


def _shipper(ctx):
    from city.ship import Shipper
    cfg = ctx.config
    if not cfg.city.database:
        raise CommandError(f"{ctx.config_path} 里没有 [city] database：请加上 [city] database = \"postgresql://…\" "
                           f"和 hall_code，见 docs/city.md (no [city] database in {ctx.config_path}: add [city] "
                           "database and hall_code)")
    if not ctx.db_path.exists():
        raise CommandError(f"没有排队数据库 {ctx.db_path} (no queue database at {ctx.db_path}: use --db PATH or set JIAOHAO_DB)")
    return Shipper(ctx.db_path, cfg.city, cfg.hall.name, cfg.services, cfg.windows,
                   base_dir=ctx.config_path.parent)


def ship(ctx, args) -> int:
    from city.schema import CityError
    from city.ship import describe_error, status
    if args.status:
        if not ctx.db_path.exists():
            raise CommandError(f"没有排队数据库 {ctx.db_path} (no queue database at {ctx.db_path}: use --db PATH or set JIAOHAO_DB)")
        rows = status(ctx.db_path)
        if args.json:
            print(json.dumps({"shipping": rows}, ensure_ascii=False))
        elif not rows:
            print("未向市级数据库上报 (nothing shipped to a city database yet)")
        for r in rows if not args.json else []:
            when = datetime.fromtimestamp(r["shipped_at"]).strftime("%Y-%m-%d %H:%M:%S") if r["shipped_at"] else "-"
            print(f"{r['hall_code']}: 已上报至事件 {r['shipped_event_id']}，待上报 {r['behind']} 条，最近 {when} "
                  f"(shipped to event {r['shipped_event_id']}, {r['behind']} behind, last {when})")
            if r["last_error"]:
                print(f"  最近错误 (last error, {r['failures']}×): {r['last_error']}")
        return 0
    shipper = _shipper(ctx)
    try:
        if args.adopt:
            shipper.adopt()
            print(f"这个数据库现在是市平台上的大厅 {shipper.hall_code}，它的记录会重新上报 "
                  f"(this database is now the city's hall {shipper.hall_code}; its records will be shipped again)")
            if not args.once:
                return 0
        if args.once:
            res = shipper.ship()
            if args.json:
                print(json.dumps({"hall_code": shipper.hall_code, "batches": res.batches, "events": res.events,
                                  "rows": res.rows, "cursor": res.cursor, "behind": res.behind,
                                  "seconds": round(res.seconds, 3)}, ensure_ascii=False))
            else:
                print(f"已上报 {res.events} 个事件（{res.total_rows} 条记录），分 {res.batches} 批，{res.seconds:.1f} 秒；"
                      f"市平台已有到事件 {res.cursor} 为止的记录 (shipped {res.events} events ({res.total_rows} records) "
                      f"in {res.batches} batches, {res.seconds:.1f} s; the city has the log up to event {res.cursor})")
            return 0
    except CityError as e:
        shipper.record_failure(str(e))
        _fail(str(e), e.temporary)
    except Exception as e:  # noqa: BLE001 - psycopg's errors: one line, not a traceback
        if type(e).__module__.startswith("psycopg"):
            from city.reach import classify
            text = describe_error(e, ctx.config.city.database)
            shipper.record_failure(text)
            _fail(text, classify(e)[0])
        raise
    finally:
        shipper.close()
    return _run_forever(ctx, shipper, args.seconds)


def _run_forever(ctx, shipper, seconds: float | None) -> int:
    from city.service import CityShipping
    logging.getLogger().setLevel(min(logging.getLogger().level, logging.INFO))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    city = ctx.config.city
    part = CityShipping(shipper, city.interval_seconds, city.retry_max_seconds)
    part.start()
    end = time.monotonic() + seconds if seconds is not None else None
    while not stop.wait(0.2):
        if end is not None and time.monotonic() > end:
            break
    part.stop()
    return 0


def _city_conn(url: str):
    from city.schema import PASSWORD_ENV, connect
    if not url.startswith(("postgresql://", "postgres://")):
        raise CommandError(f"不是 postgresql:// 地址 (not a postgresql:// address): {url!r}")
    return connect(url, os.environ.get(PASSWORD_ENV) or None, application="jiaohao city")


def city_migrate(ctx, args) -> int:
    from city.dayparts import rewrite_old_days
    from city.schema import CityError, migrate
    try:
        conn = _city_conn(args.url)
    except CityError as e:
        _fail(str(e), e.temporary)
    try:
        applied = migrate(conn)
        rewritten = rewrite_old_days(conn)  # days stored by an older version, in today's format
    except Exception as e:  # noqa: BLE001
        if type(e).__module__.startswith("psycopg"):
            _psycopg_failure(e, "migrating the city database failed")
        raise
    finally:
        conn.close()
    print(f"市平台数据库结构：已应用 (city schema: applied) {', '.join(applied)}" if applied else
          "市平台数据库结构：已是最新 (city schema: up to date)")
    if rewritten:
        print(f"市平台的日期列：{rewritten} 天改写为格式 4 (city day columns: {rewritten} days rewritten in format 4 "
              "(city/dayparts.py))")
    return 0


def city_halls(ctx, args) -> int:
    from city.schema import CityError
    try:
        conn = _city_conn(args.url)
    except CityError as e:
        _fail(str(e), e.temporary)
    try:
        rows = conn.execute("SELECT h.hall_code, h.name, h.shipped_event_id, h.shipped_at, h.program_version, "
                            "(SELECT max(day) FROM city.days d WHERE d.hall_code = h.hall_code) "
                            "FROM city.halls h ORDER BY 1").fetchall()
    except Exception as e:  # noqa: BLE001
        if type(e).__module__.startswith("psycopg"):
            _psycopg_failure(e, "reading the city's halls failed (has `jiaohao city migrate URL` run?)")
        raise
    finally:
        conn.close()
    out = [{"hall_code": r[0], "name": r[1], "shipped_event_id": r[2],
            "shipped_at": r[3].isoformat(timespec="seconds") if r[3] else None, "version": r[4],
            "last_closed_day": r[5].isoformat() if r[5] else None} for r in rows]
    if args.json:
        print(json.dumps({"halls": out}, ensure_ascii=False))
        return 0
    for h in out:
        print(f"{h['hall_code']}\t{h['name']}\t最近上报 {h['shipped_at'] or '-'}\t最近日结 {h['last_closed_day'] or '-'}")
    return 0


def city_indicators_cmd(ctx, args) -> int:
    import calendar
    from datetime import date

    from city.indicators import city_indicators
    from city.schema import CityError
    try:
        if args.date_from or args.date_to:
            if args.month or not (args.date_from and args.date_to):
                raise CommandError("请给 --month，或同时给 --from 和 --to (give --month, or both --from and --to)")
            start, end = date.fromisoformat(args.date_from), date.fromisoformat(args.date_to)
        else:
            first = date.fromisoformat((args.month or date.today().strftime("%Y-%m")).strip() + "-01")
            start, end = first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
    except ValueError:
        raise CommandError("日期写成 YYYY-MM-DD，月份写成 YYYY-MM，如 --month 2026-11 "
                           "(dates are YYYY-MM-DD and months YYYY-MM)") from None
    if start > end:
        raise CommandError(f"开始日期晚于结束日期 (--from {start} is after --to {end})")
    try:
        conn = _city_conn(args.url)
    except CityError as e:
        _fail(str(e), e.temporary)
    try:
        rows = city_indicators(conn, start, end, args.by, args.halls)
    except Exception as e:  # noqa: BLE001
        if type(e).__module__.startswith("psycopg"):
            _psycopg_failure(e, "the city indicators failed")
        raise
    finally:
        conn.close()
    from .indicator_table import render
    text = render(rows, start, end, args.by, args.format, "全市好差评指标", group_width=14)
    if args.format == "csv":
        sys.stdout.buffer.write(text.encode("utf-8-sig"))
    else:
        sys.stdout.write(text)
    return 0

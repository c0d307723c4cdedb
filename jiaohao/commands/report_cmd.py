"""`jiaohao report`: the hall's figures for a day, a month or any range of days.

    jiaohao report                                   today, by service, on the terminal
    jiaohao report --month 2026-10 --format xlsx     October as an Excel workbook
    jiaohao report --from 2026-10-01 --to 2026-10-31 --by window --format html -o oct.html
"""
from __future__ import annotations

import calendar
import os
import sys
from datetime import date
from pathlib import Path

from hall.clock import check_day
from hall.reports import GROUPINGS, ReportError, build_report, parse_day

from ..context import CommandError, TryLater
from ..report import FORMATS, default_filename, render

TO_FILE = {"xlsx", "html"}  # written to a file unless --output - asks for stdout


def register(sub) -> None:
    p = sub.add_parser(
        "report", help="daily and monthly figures: tickets, waiting, handling, ratings (好差评)",
        description="Figures for hall managers over a range of business days (default: today). "
                    "Definitions of every figure: docs/reports.md.")
    p.add_argument("--from", dest="date_from", metavar="DATE", help="first day, YYYY-MM-DD (or today/yesterday)")
    p.add_argument("--to", dest="date_to", metavar="DATE", help="last day, inclusive (default: the --from day; alone: that one day)")
    p.add_argument("--month", metavar="YYYY-MM", help="a whole calendar month instead of --from/--to")
    p.add_argument("--by", choices=(*GROUPINGS, "hall"), default="service",
                   help="one row per … (default: service; hall: with --city only)")
    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("-o", "--output", metavar="PATH",
                   help="write to PATH (a folder gets a dated file name); '-' for stdout. "
                        "Default: stdout for table/csv/json, a dated file in the current folder for xlsx/html")
    p.add_argument("--city", metavar="URL",
                   help="the city report over every hall shipped to this PostgreSQL (postgresql://user@host/db; "
                        "password from JIAOHAO_CITY_PASSWORD or ~/.pgpass): --by hall|service|department|day|hour")
    p.add_argument("--hall", dest="halls", action="append", metavar="CODE",
                   help="with --city: only this hall (repeat for several)")
    p.set_defaults(func=run)


def date_range(args, today: date) -> tuple[date, date]:
    """The first and last business day the arguments ask for."""
    for option, value in (("--from", args.date_from), ("--to", args.date_to), ("--month", args.month)):
        if value is not None and not value.strip():
            raise CommandError(f"{option} 是空的，请给出日期，如 2026-11-23（--month 如 2026-11） "
                               f"({option} is empty: give a date like 2026-11-23, --month: 2026-11)")
    try:
        if args.month:
            if args.date_from or args.date_to:
                raise CommandError("--month 和 --from/--to 只能用一种 (give either --month or --from/--to, not both)")
            try:
                first = date.fromisoformat(args.month.strip() + "-01")
            except ValueError:
                raise CommandError(f"不是月份 (not a month): {args.month!r}，请用 YYYY-MM，如 2026-10 (use YYYY-MM, e.g. 2026-10)") from None
            d0, d1 = first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
        elif args.date_to and not args.date_from:  # --to alone: that one day
            d0 = d1 = parse_day(args.date_to, today)
        else:
            d0 = parse_day(args.date_from, today)
            d1 = parse_day(args.date_to, d0)
    except ReportError as e:
        raise CommandError(str(e)) from None
    for day in (d0, d1):
        check_day(day, "report day", "报表日期")  # far dates are typos, and 9999-12-31 overflowed
    if d0 > d1:
        raise CommandError(f"开始日期晚于结束日期 (--from {d0} is after --to {d1})")
    return d0, d1


def run(ctx, args) -> int:
    if args.city is not None:
        return _output(args, _city_report(args))
    if args.halls:
        raise CommandError("--hall 要和 --city 一起用，大厅自己的报表只含本大厅 (--hall needs --city: a hall's own report covers that hall)")
    if args.by == "hall":
        raise CommandError("--by hall 要和 --city URL（市级数据库）一起用，大厅的报表只有一个大厅 "
                           "(--by hall needs --city URL, the city's database; a hall's report is one hall)")
    today = ctx.clock()().date()
    d0, d1 = date_range(args, today)
    if not ctx.db_path.exists():
        raise CommandError(f"没有排队数据库 {ctx.db_path} (no queue database at {ctx.db_path}: use --db PATH or set JIAOHAO_DB)")
    cfg = ctx.config
    names = {w.number: (w.name or f"{w.number}号窗口") for w in cfg.windows}
    try:
        report = build_report(ctx.db_path, d0, d1, args.by, hall=cfg.hall.name, window_names=names,
                              now=ctx.clock()())
    except ReportError as e:
        raise CommandError(str(e)) from None
    return _output(args, report)


def _city_report(args):
    from datetime import datetime

    from city.report import CITY_GROUPINGS, build_city_report
    from city.schema import PASSWORD_ENV, CityError, connect, one_line
    if args.by not in CITY_GROUPINGS:
        raise CommandError(f"市级报表只能按 {', '.join(CITY_GROUPINGS)} 分组，不能按 {args.by!r}；窗口和人员在各大厅自己的报表里 "
                           f"(the city report groups by {', '.join(CITY_GROUPINGS)}, not {args.by!r}: "
                           "window and staff belong to each hall's own report)")
    url = args.city.strip()
    if not url.startswith(("postgresql://", "postgres://")):
        raise CommandError(f"--city 要写 postgresql:// 地址，不是 {args.city!r} (--city must be a postgresql:// address)")
    d0, d1 = date_range(args, datetime.now().date())
    try:
        conn = connect(url, os.environ.get(PASSWORD_ENV) or None, autocommit=True, application="jiaohao report")
    except CityError as e:
        raise (TryLater if e.temporary else CommandError)(str(e)) from None
    try:
        return build_city_report(conn, d0, d1, args.by, halls=args.halls)
    except ReportError as e:
        raise CommandError(str(e)) from None
    except Exception as e:  # noqa: BLE001 - psycopg's errors: one line
        if type(e).__module__.startswith("psycopg"):
            from city.reach import classify
            raise (TryLater if classify(e)[0] else CommandError)(f"the city report failed: {one_line(e)}") from None
        raise
    finally:
        conn.close()


def _output(args, report) -> int:
    d0, d1 = report.date_from, report.date_to
    try:
        data = render(report, args.format)
    except OSError as e:  # the xlsx writer's temporary files: a full disk under the temp folder
        from ..xlsx_save import TempFolderFull
        if not isinstance(e, TempFolderFull):
            e = TempFolderFull(e.errno, e.strerror or str(e))
        raise CommandError(e.line(f" {args.format} 报表", f"the {args.format} report")) from None
    out = args.output
    if out == "-" or (out is None and args.format not in TO_FILE):
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    path = Path(out) if out else Path(default_filename(report, args.format))
    if path.is_dir():
        path = path / default_filename(report, args.format)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from .output_file import write_whole
        write_whole(path, data)
    except OSError as e:
        raise CommandError(f"写不了文件 (cannot write {path}): {e.strerror or e}") from None
    print(f"已写出 {path}（{len(data)} 字节，{report.total.issued} 张票，{d0}..{d1}，按 {args.by}） "
          f"(wrote {path} ({len(data)} bytes, {report.total.issued} tickets, {d0}..{d1}, by {args.by}))")
    return 0

"""`jiaohao ratings`: 好差评 on the controller (docs/ratings.md).

    jiaohao ratings export --format gbt39046 --from 2026-11-01 --to 2026-11-30 -o nov.csv
    jiaohao ratings follow-ups --overdue            差评 follow-ups past a deadline
    jiaohao ratings follow-up 12 verify --by 0517 --note "已电话联系，核实属实"
    jiaohao ratings indicators --month 2026-11 --by department
    jiaohao ratings push                            the provincial push: pending, failing
"""
from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

from hall.clock import check_day

from ..context import CommandError

HELP = "好差评: GB/T 39046 export, 差评 follow-ups, indicators, provincial push"


def register(sub) -> None:
    p = sub.add_parser("ratings", help=HELP, description=HELP + " (docs/ratings.md).")
    s = p.add_subparsers(dest="ratings_cmd", metavar="COMMAND", required=True)

    e = s.add_parser("export", help="ratings as GB/T 39046-2020 Table 9 items (CSV; --json)")
    e.add_argument("--format", choices=("gbt39046", "full"), default="gbt39046",
                   help="gbt39046: the standard's nine items; full: also 事项编码, 问题选项, window, staff, department")
    e.add_argument("--from", dest="date_from", metavar="DATE", help="first day of 评价时间, YYYY-MM-DD")
    e.add_argument("--to", dest="date_to", metavar="DATE", help="last day, inclusive")
    e.add_argument("--unrated", action="store_true", help="also list the 未评价 cases (评价次数 0)")
    e.add_argument("--json", action="store_true", help="a JSON list instead of CSV")
    e.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: stdout)")
    e.set_defaults(func=export)

    f = s.add_parser("follow-ups", help="差评 follow-ups with their deadlines")
    f.add_argument("--overdue", action="store_true", help="only those past a deadline")
    f.add_argument("--open", action="store_true", help="only those not closed")
    f.add_argument("--json", action="store_true", help="a JSON list")
    f.set_defaults(func=followups)

    one = s.add_parser("follow-up", help="show a follow-up, or take a step (verify, rectify, done, call_back, "
                                         "appeal, approve_appeal, reject_appeal, request_unfixable, "
                                         "approve_unfixable, reject_unfixable, extend)")
    one.add_argument("id", type=int, help="the follow-up's id (jiaohao ratings follow-ups)")
    one.add_argument("action", nargs="?", help="the step to take; none: show it")
    one.add_argument("--by", metavar="工号", help="who takes the step")
    one.add_argument("--note", help="what was done")
    one.add_argument("--days", type=int, help="extend: working days")
    one.add_argument("--json", action="store_true")
    one.set_defaults(func=followup)

    i = s.add_parser("indicators", help="好评率, 差评率, 未评价率, 主动评价好评率, 整改率, 回访率")
    i.add_argument("--month", metavar="YYYY-MM", help="a calendar month (default: this month)")
    i.add_argument("--from", dest="date_from", metavar="DATE")
    i.add_argument("--to", dest="date_to", metavar="DATE")
    i.add_argument("--by", choices=("hall", "department", "window", "staff", "item"), default="hall")
    i.add_argument("--format", choices=("table", "csv", "json"), default="table")
    i.add_argument("-o", "--output", metavar="FILE")
    i.set_defaults(func=indicators)

    r = s.add_parser("rate", help="record a rating given another way (电话 by default): a served ticket")
    r.add_argument("number", help="the ticket number, e.g. A023")
    r.add_argument("level", type=int, help="满意度代码: 1 非常满意, 2 满意, 3 基本满意, 4 不满意, 5 非常不满意")
    r.add_argument("--day", metavar="DATE", help="the ticket's day (default today)")
    r.add_argument("--channel", default="phone", help="phone (电话, default), sms, web, mobile, qrcode, terminal")
    r.add_argument("--problem", action="append", default=[], help="a problem option (repeatable), for 4 and 5")
    r.add_argument("--text", default="", help="the citizen's words")
    r.add_argument("--rater", default="", help="the citizen's name, if given")
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=rate)

    case = s.add_parser("case", help="attach a 办件编号 (and 事项编码) to a ticket")
    case.add_argument("number", help="the ticket number, e.g. A023")
    case.add_argument("case_no", help="办件编号")
    case.add_argument("--item-code", default="", help="事项编码 (default: the service's)")
    case.add_argument("--day", metavar="DATE", help="the ticket's day (default today)")
    case.set_defaults(func=attach)

    push = s.add_parser("push", help="the provincial push: configured, pending, sent, failing, last error")
    push.add_argument("--json", action="store_true")
    push.set_defaults(func=push_status)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return check_day(date.fromisoformat(value.strip()), option)
    except ValueError:
        raise CommandError(f"{option} {value!r} 不是日期，请用 YYYY-MM-DD，如 2026-11-23 "
                           "(is not a day: use YYYY-MM-DD, e.g. 2026-11-23)") from None


def _write(data: str, output: str | None, bom: bool = False) -> None:
    if output in (None, "-"):
        sys.stdout.write(data)
        sys.stdout.flush()
        return
    path = Path(output)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        from .output_file import write_whole
        write_whole(path, (("\ufeff" if bom else "") + data).encode("utf-8"))
    except OSError as e:
        raise CommandError(f"写不了文件 (cannot write {path}): {e.strerror or e}") from None
    print(f"wrote {path}", file=sys.stderr)


def export(ctx, args) -> int:
    from hall.rating_export import to_csv, to_json
    start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to")
    if start and end and start > end:
        raise CommandError(f"开始日期晚于结束日期 (--from {start} is after --to {end})")
    rows = ctx.local_reader().rating_records(start, end, args.unrated)
    full = args.format == "full"
    if args.json:
        _write(to_json(rows, full) + "\n", args.output)
    else:  # a file gets a BOM so that Excel reads it as UTF-8
        _write(to_csv(rows, full), args.output, bom=True)
    return 0


FLAG = {(True, False): "逾期 overdue", (False, True): "将到期 due soon"}


def followups(ctx, args) -> int:
    rows = ctx.local_reader().followups(overdue=args.overdue, open_only=args.open)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print("没有逾期的差评整改单 (no overdue follow-ups)" if args.overdue else
              "没有未办结的差评整改单 (no open follow-ups)" if args.open else "没有差评整改单 (no follow-ups)")
        return 0
    print(f"{'id':>4}  {'号':<6} {'窗口':>4}  {'评价':<6} {'状态':<8} {'核实期限':<10}  {'整改期限':<10}  提醒")
    for f in rows:
        window = f["window"] if f["window"] is not None else "-"
        print(f"{f['id']:>4}  {f['number']:<6} {window:>4}  {f['level_name']:<6} {f['state']:<8} "
              f"{f['callback_due']:<10}  {f['rectify_due']:<10}  {FLAG.get((f['overdue'], f['due_soon']), '')}")
    return 0


def followup(ctx, args) -> int:
    if args.action is None:
        f = ctx.local_reader().followup(args.id)
    else:
        if not args.by:
            raise CommandError("请写明谁做这一步：--by 工号 (say who takes the step: --by STAFF)")
        if not args.note:
            raise CommandError("请写明做了什么：--note 说明 (say what was done: --note TEXT)")
        f = ctx.queue.followup_step(args.id, args.action, args.by, args.note, args.days)
    if args.json:
        print(json.dumps(f, ensure_ascii=False, indent=1))
        return 0
    print(f"整改单 {f['id']}  {f['number']}  {f['level_name']}  {f['state']}  "
          f"核实期限 {f['callback_due']}  整改期限 {f['rectify_due']}")
    for s in f.get("steps", []):
        print(f"  {s['at']}  {s['by']:<8} {s['action']:<18} {s['from'] or '—'} → {s['to']}  {s['note']}")
    if f["actions"]:
        print("可以 (next steps): " + ", ".join(f["actions"]))
    return 0


def indicators(ctx, args) -> int:
    import calendar
    for option, value in (("--from", args.date_from), ("--to", args.date_to), ("--month", args.month)):
        if value is not None and not value.strip():
            raise CommandError(f"{option} 是空的，请给出日期，如 2026-11-23（--month 如 2026-11） "
                               f"({option} is empty: give a date like 2026-11-23, --month: 2026-11)")
    if args.date_from or args.date_to:
        if args.month:
            raise CommandError("--month 和 --from/--to 只能用一种 (give either --month or --from/--to, not both)")
        start, end = _day(args.date_from, "--from"), _day(args.date_to, "--to")
        if start is None or end is None:
            raise CommandError("--from 和 --to 都要给 (give both --from and --to)")
    else:
        try:
            first = date.fromisoformat((args.month or ctx.clock()().strftime("%Y-%m")).strip() + "-01")
        except ValueError:
            raise CommandError(f"不是月份 (not a month): {args.month!r}，请用 YYYY-MM，如 2026-10 (use YYYY-MM, e.g. 2026-10)") from None
        start, end = first, first.replace(day=calendar.monthrange(first.year, first.month)[1])
        check_day(start, "--month")
        check_day(end, "--month")
    if start > end:
        raise CommandError(f"开始日期晚于结束日期 (--from {start} is after --to {end})")
    rows = ctx.local_reader().rating_indicators(start, end, args.by)
    from .indicator_table import render
    _write(render(rows, start, end, args.by, args.format, "好差评指标"), args.output, bom=args.format == "csv")
    return 0


def _ticket_id(ctx, number: str, day: str | None) -> int:
    d = _day(day, "--day")
    return ctx.queue.ticket_by_number(number.strip().upper(), d.isoformat() if d else None).id


def rate(ctx, args) -> int:
    out = ctx.queue.rate_ticket(_ticket_id(ctx, args.number, args.day), args.level, args.channel, args.problem,
                                args.text, args.rater)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        extra = f"，已开整改单 {out['followup']}" if out["followup"] else ""
        print(f"{out['number']} {out['level_name']}（{out['channel_name']}，第 {out['seq']} 次评价）{extra}")
    return 0


def attach(ctx, args) -> int:
    out = ctx.queue.attach_case(_ticket_id(ctx, args.number, args.day), args.case_no, args.item_code, "api",
                                "cli")
    print(f"{out['number']}: " + ", ".join(c["case_no"] for c in out["cases"]))
    return 0


def push_status(ctx, args) -> int:
    from hall.rating_push import push_state
    s = push_state(ctx.local_reader(), ctx.config)
    if args.json:
        print(json.dumps(s, ensure_ascii=False, indent=1))
        return 0
    if not s["configured"]:
        print("省级好差评推送未配置 (no [ratings.push] url)")
        return 0
    print(f"推送 {s['url']}: 待发 pending {s['pending']}, 已发 sent {s['sent']}, 失败重试中 failing {s['failing']}")
    if s["last_error"]:
        print(f"最近错误 last error: {s['last_error']}")
    return 0

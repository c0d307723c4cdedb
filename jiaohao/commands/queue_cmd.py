"""`jiaohao queue …`: drive the queue from a shell (scripting, training, support)."""
from __future__ import annotations

from hall import PAUSE_REASONS

from ..cli import emit
from ..context import CommandError
from .inputs import score, server_options, window_number


def register(sub) -> None:
    p = sub.add_parser("queue", help="issue and call tickets from the command line")
    p.set_defaults(config_view=True)  # reads the hall file only: the cached copy, no pydantic
    server_options(p)
    s = p.add_subparsers(dest="queue_command", metavar="ACTION")
    s.required = True

    def add(name, func, help_, window=True):
        a = s.add_parser(name, help=help_)
        if window:
            a.add_argument("window", type=window_number, help="window number")
        a.add_argument("--json", action="store_true", help="one JSON object on stdout")
        a.set_defaults(func=func)
        return a

    a = add("issue", issue, "issue a ticket", window=False)
    a.add_argument("service", help="service code, e.g. A")
    a.add_argument("--priority", action="store_true", help="green-channel (绿色通道) ticket")
    a.add_argument("--print", dest="print_", action="store_true", help="print it on the configured printer")
    add("call", call, "call the next ticket at a window")
    add("recall", recall, "announce the current ticket again")
    add("skip", skip, "mark the current ticket a no-show (过号)")
    add("finish", finish, "finish the current ticket")
    a = add("reactivate", reactivate, "put a no-show (过号) of today back in its queue", window=False)
    a.add_argument("number", help="the ticket number, e.g. A003")
    a = add("transfer", transfer, "move the current ticket to another service or window")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--to-service", metavar="CODE")
    g.add_argument("--to-window", metavar="N", type=window_number)
    a = add("pause", pause, "pause a window")
    a.add_argument("--reason", type=_pause_reason, metavar="REASON",
                   help="away 离岗, lunch 午休 or meeting 会议 (either word)")
    add("resume", resume, "resume a paused window")
    a = add("rate", rate, "rate the ticket just served (5 非常满意 … 1 非常不满意)")
    a.add_argument("score", type=score)
    add("status", status, "waiting per service, state and current ticket per window", window=False)


def _pause_reason(text: str) -> str:
    """away/lunch/meeting, or the words the window screen shows for them (离岗/午休/会议)."""
    by_zh = {zh: en for en, zh in PAUSE_REASONS.items()}
    reason = by_zh.get(text.strip(), text.strip().lower())
    if reason not in PAUSE_REASONS:
        from .inputs import Refusal
        raise Refusal(f"暂停原因“{text}”无效，可选：离岗、午休、会议", f"pause reason {text!r}: away, lunch or meeting")
    return reason


STATE_WORDS = {"idle": "空闲", "serving": "办理中", "paused": "暂停", "closed": "关闭"}


def _ticket_out(args, t, verb: str) -> int:
    """One line, Chinese first (the English half stays as scripts have read it)."""
    if t is None:
        emit(args, {"number": None, "ticket": None}, "无人等候 nobody is waiting")
        return 0
    obj = t.to_json()
    emit(args, obj, f"{verb} {t.number} ({t.service_name}) status={t.status}"
                    + (f" window={t.window}" if t.window else "") + f" ahead={t.ahead}")
    return 0


def issue(ctx, args) -> int:
    if args.print_:
        from .printing import issue_printed
        t = issue_printed(ctx, args.service, priority=args.priority)
    else:
        t = ctx.hall.issue(args.service, priority=args.priority, kiosk="cli")
    return _ticket_out(args, t, "已取号 issued")


def call(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.call_next(args.window), f"{args.window}号窗口叫号 window {args.window} calls")


def recall(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.recall(args.window), "已重呼 recalled")


def skip(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.skip(args.window), "已过号 skipped")


def finish(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.finish(args.window), "已办结 finished")


def reactivate(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.reactivate(args.number.strip()), "已重新排队 reactivated")


def transfer(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.transfer(args.window, args.to_service, args.to_window), "已转办 transferred")


def rate(ctx, args) -> int:
    return _ticket_out(args, ctx.hall.rate(args.window, args.score), f"已评价 {args.score} 分 rated {args.score}:")


def _window_out(args, ws) -> int:
    emit(args, ws.to_json(), f"{ws.number}号窗口{STATE_WORDS.get(ws.state, '')} window {ws.number}: {ws.state}"
                             + (f" ({PAUSE_REASONS.get(ws.pause_reason, '')} {ws.pause_reason})"
                                if ws.pause_reason else "")
                             + f", current {ws.current.number if ws.current else '-'}, waiting {ws.waiting}")
    return 0


def pause(ctx, args) -> int:
    return _window_out(args, ctx.hall.pause(args.window, args.reason))


def resume(ctx, args) -> int:
    return _window_out(args, ctx.hall.resume(args.window))


def status(ctx, args) -> int:
    q = ctx.reader  # reads only: works without write access to the database (or the hall server)
    waiting = q.waiting_by_service()
    windows = q.window_states()
    services = [{"code": s.code, "name": s.name, "waiting": waiting[s.code],
                 "issued_today": q.issued_today(s.code), "open": q.is_open(s.code)}
                for s in ctx.config.services]
    obj = {"hall": ctx.config.hall.name, "services": services, "windows": [w.to_json() for w in windows]}
    lines = [ctx.config.hall.name, "事项 services:"]
    lines += [f"  {s['code']:<4} {s['name']:<12} 等候 waiting {s['waiting']:>4}  今日取号 issued {s['issued_today']:>4}"
              f"{'' if s['open'] else '  (未开放 closed)'}" for s in services]
    lines.append("窗口 windows:")
    lines += [f"  {w.number:>3} {STATE_WORDS.get(w.state, ''):<3} {w.state:<8} {w.current.number if w.current else '-':<6} "
              f"等候 waiting {w.waiting}" + (f"  {w.pause_reason}" if w.pause_reason else "") for w in windows]
    emit(args, obj, "\n".join(lines))
    return 0


__all__ = ["register", "CommandError"]

"""`jiaohao bookings …`: appointments booked on the phone pages or at a window (预约):
slots, the day's bookings, cancelling, the 爽约 suspensions and lifting one. And, for
`jiaohao serve`, the component that marks no-shows as their slots end (docs/booking.md)."""
from __future__ import annotations

import getpass
import logging
import threading
from datetime import date

from ..cli import emit
from ..context import CommandError

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 30.0


def register(sub) -> None:
    p = sub.add_parser("bookings", help="appointments booked online or at a window: slots, suspensions (爽约)")
    s = p.add_subparsers(dest="bookings_command", metavar="ACTION")
    s.required = True

    def add(name, func, help_):
        a = s.add_parser(name, help=help_)
        a.add_argument("--json", action="store_true", help="one JSON object on stdout")
        a.set_defaults(func=func)
        return a

    a = add("slots", slots, "a service's slots on a day and the places left")
    a.add_argument("service", help="service code, e.g. A")
    a.add_argument("--day", type=_date, help="YYYY-MM-DD (default: the first day that may be booked)")
    a = add("list", listing, "the bookings of a day (names, mobiles and ID numbers masked)")
    a.add_argument("--day", type=_date, help="YYYY-MM-DD (default today)")
    a.add_argument("--service", help="only this service")
    a = add("cancel", cancel, "cancel a booking (until its cut-off)")
    a.add_argument("code", help="the booking code")
    add("sweep", sweep, "mark bookings past slot end + grace as no-shows now (serve does it every 30 s)")
    a = add("suspensions", suspensions, "people whose booking is suspended for no-shows (爽约)")
    a.add_argument("--all", action="store_true", help="lifted and ended ones too")
    a = add("lift", lift, "lift a suspension, with the reason (recorded with who lifted it)")
    a.add_argument("id", type=int, help="the suspension's number (jiaohao bookings suspensions)")
    a.add_argument("--reason", required=True, help="why, e.g. 本人住院，有证明")
    a.add_argument("--by", default=None, help="who lifts it (default: this login name)")


def _date(text: str) -> date:
    from .inputs import Refusal
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise Refusal(f"{text!r} 不是日期，请写成 2026-11-30 这样", f"{text!r} is not a date like 2026-11-30") from None
    from hall.clock import FIRST_DAY, LAST_DAY
    if not FIRST_DAY <= day <= LAST_DAY:  # far dates are typos (a booking on 0001-01-01)
        raise Refusal(f"{text} 不行，日期须在 {FIRST_DAY} 至 {LAST_DAY} 之间",
                      f"{text}: dates run from {FIRST_DAY} to {LAST_DAY}")
    return day


def _refusal(e) -> CommandError:
    zh = getattr(e, "zh", "")
    return CommandError(f"{zh} ({e})" if zh and zh != str(e) else str(e))


def slots(ctx, args) -> int:
    from hall.errors import HallError
    q = ctx.local_reader()
    days = q.booking_days()
    day = args.day or (days[0] if days else None)
    try:
        rows = q.booking_slots(args.service, day) if day else []
    except HallError as e:
        raise _refusal(e) from None
    lines = [f"{s['label']}  剩余 {s['left']}/{s['capacity']} left" + ("" if s["open"] else "  (已停约 closed)")
             for s in rows]
    emit(args, {"days": [d.isoformat() for d in days], "day": day.isoformat() if day else None, "slots": rows},
         f"{args.service} {day or ''} 号源 (slots of {args.service} on {day}): "
         + ("\n  " + "\n  ".join(lines) if lines else "无 none")
         + f"\n可预约日期 bookable days: {', '.join(d.isoformat() for d in days) or '无 none'}")
    return 0


def listing(ctx, args) -> int:
    q = ctx.local_reader()
    day = (args.day or q.clock().date()).isoformat()
    if args.service is not None and args.service not in {svc.code for svc in ctx.config.services}:
        raise CommandError(f"没有这个业务 {args.service!r}，本大厅的业务是 (unknown service {args.service!r}: "
                           "the hall's services are) " + ", ".join(svc.code for svc in ctx.config.services))
    rows = q.bookings_on(day, args.service)
    from hall.bookings import STATUS_ZH
    emit(args, {"day": day, "bookings": [b.to_json() for b in rows]},
         "\n".join(f"{b.start[11:]}-{b.end[11:]} {b.service} {b.code} {STATUS_ZH.get(b.status, '')} {b.status:10} "
                   f"{b.name} {b.mobile} {b.id_number}" for b in rows) or f"{day} 没有预约 (no bookings on {day})")
    return 0


def cancel(ctx, args) -> int:
    from hall.errors import HallError
    try:
        b = ctx.queue.cancel_booking(args.code, by=f"cli:{_me()}")
    except HallError as e:
        raise _refusal(e) from None
    emit(args, b.to_json(), f"已取消预约 cancelled {b.code} ({b.service_name} {b.start})")
    return 0


def sweep(ctx, args) -> int:
    n = ctx.queue.sweep_no_shows()
    emit(args, {"no_shows": n}, f"{n} 个预约记为爽约 ({n} booking(s) marked no-show)")
    return 0


def suspensions(ctx, args) -> int:
    rows = ctx.local_reader().suspensions(active_only=not args.all)
    emit(args, {"suspensions": rows},
         "\n".join(f"#{s['id']} ID {s['id_number']} until {s['until']} no-shows {', '.join(s['no_shows'])}"
                   + ("" if s["active"] else f" (lifted {s['lifted_at']} by {s['lifted_by']}: {s['lift_reason']})"
                      if s["lifted_at"] else " (ended)")
                   for s in rows) or "没有生效的预约暂停 (no suspensions in force)")
    return 0


def lift(ctx, args) -> int:
    from hall.errors import HallError
    try:
        s = ctx.queue.lift_suspension(args.id, args.reason, by=args.by or f"cli:{_me()}")
    except HallError as e:
        raise _refusal(e) from None
    emit(args, s, f"已解除预约暂停 lifted suspension #{s['id']} (ID {s['id_number']}): {s['lift_reason']}")
    return 0


def _me() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name (a service account): still lift
        return "unknown"


class NoShowSweeper:
    """Marks bookings past slot end + grace as no-shows (and suspends) every 30 s in serve."""

    name = "booking no-shows"

    def __init__(self, queue, every_s: float = SWEEP_EVERY_S):
        self.queue, self.every_s = queue, every_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="booking-no-shows", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                n = self.queue.sweep_no_shows()
                if n:
                    log.info("%d booking(s) marked no-show", n)
            except Exception as e:  # noqa: BLE001 - a busy or failing database: try again next round
                log.warning("marking booking no-shows failed: %s", e)
            if self._stop.wait(self.every_s):
                return

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def components(ctx) -> list:
    """For `jiaohao serve`: the no-show sweep, when the hall has booking slots."""
    if not ctx.config.booking.slots:
        return []
    return [NoShowSweeper(ctx.queue)]

"""`jiaohao appointments …`: load booked appointments (预约) for kiosk check-in."""
from __future__ import annotations

from ..cli import emit
from ..context import CommandError


def register(sub) -> None:
    p = sub.add_parser("appointments", help="import booked appointments for kiosk check-in")
    s = p.add_subparsers(dest="appointments_command", metavar="ACTION")
    s.required = True
    a = s.add_parser("import", help="import a CSV file with columns code,service,slot,name",
                     description="Import appointments from a CSV file with the header "
                                 "code,service,slot,name (service: code or name; slot: 2026-11-23 09:30). "
                                 "The whole file is checked first, then written in one transaction: on any "
                                 "error, or if the import is interrupted, nothing is imported; each error "
                                 "names its line. UTF-8 (with or without BOM), UTF-16 with BOM, or GBK "
                                 "(Excel on Chinese Windows). Codes are stored in capitals.")
    a.add_argument("file", metavar="FILE.csv")
    a.add_argument("--check", action="store_true", help="only check the file, import nothing")
    a.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a.set_defaults(func=import_csv)


def import_csv(ctx, args) -> int:
    from kiosk.appointments import MAX_ERRORS, AppointmentFileError, import_file, parse_appointments, read_file
    try:
        if args.check:
            appts = parse_appointments(read_file(args.file), ctx.config, args.file)
        else:
            appts = import_file(args.file, ctx.queue)
    except AppointmentFileError as e:
        if len(e.errors) > 1:
            count = f"over {MAX_ERRORS}" if len(e.errors) > MAX_ERRORS else str(len(e.errors))
            count_zh = f"超过 {MAX_ERRORS}" if len(e.errors) > MAX_ERRORS else str(len(e.errors))
            raise CommandError(f"{count_zh} 处问题，未导入任何记录 ({count} problems, nothing imported):\n  "
                               + "\n  ".join(e.errors))
        raise CommandError(f"{e.errors[0]}；未导入任何记录 (nothing imported)")
    verb, verb_zh = ("checked", "已检查") if args.check else ("imported", "已导入")
    obj = {verb: len(appts), "appointments": [
        {"code": a.code, "service": a.service, "slot": a.slot.isoformat(timespec="minutes"), "name": a.name}
        for a in appts]}
    days = sorted({a.slot.date().isoformat() for a in appts})
    emit(args, obj, f"{verb_zh} {len(appts)} 条预约" + (f"（{'、'.join(days)}）" if days else "")
         + f" ({verb} {len(appts)} appointment(s)" + (f" for {', '.join(days)}" if days else "") + ")")
    return 0

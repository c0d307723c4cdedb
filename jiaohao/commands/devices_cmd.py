"""`jiaohao devices add|list|revoke`: the tokens of kiosks, screens, callers and
controllers that use the hall API (hall/access.py; docs/access.md).

A token is printed once, when the device is added; the database keeps only its hash.
"""
from __future__ import annotations

import json
from datetime import datetime

from ..context import CommandError
from .inputs import window_number

ROLE_WORDS = {"kiosk": "取号机 kiosk", "screen": "大屏 screen", "caller": "叫号器 caller",
              "controller": "控制器 controller"}


def register(sub) -> None:
    p = sub.add_parser("devices", help="device tokens of the hall API: add, list, revoke")
    p.set_defaults(config_view=True)  # reads the hall file only (window numbers): the cached copy
    s = p.add_subparsers(dest="devices_command", metavar="ACTION")
    s.required = True
    a = s.add_parser("add", help="add a device and print its token (once)",
                     description="Add a device of the hall API and print its token once; put the token in the "
                                 "device's token file ([client] token_file) or JIAOHAO_TOKEN. The database keeps "
                                 "only a hash of it: a lost token cannot be shown again (revoke it and add the "
                                 "device again).")
    a.add_argument("name", help="the device's name, e.g. kiosk-2 (letters, digits, '.', '-', '_')")
    a.add_argument("--role", required=True, choices=["kiosk", "screen", "caller", "controller"],
                   help="what it may do (docs/api.md): kiosk issues tickets, screen reads, caller acts on "
                        "windows, controller does everything a device may")
    a.add_argument("--window", dest="windows", type=window_number, action="append", default=[], metavar="N",
                   help="a caller limited to window N (repeat for several); without: any window")
    a.add_argument("--json", action="store_true", help='{"name", "role", "token"} on stdout, nothing else')
    a.set_defaults(func=add)
    a = s.add_parser("list", help="every device: role, windows, added, last seen, revoked")
    a.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a.set_defaults(func=list_)
    a = s.add_parser("revoke", help="refuse a device's token from now on (its event streams close)")
    a.add_argument("name", help="the device's name")
    a.set_defaults(func=revoke)


def access_for(ctx, write: bool = True):
    from hall.access import Access
    return Access(ctx.queue if write else ctx.reader)


def short_time(ts: float | None) -> str:
    return datetime.fromtimestamp(ts).isoformat(sep=" ", timespec="minutes") if ts else "-"


def add(ctx, args) -> int:
    access = access_for(ctx)
    try:
        token = access.add_device(args.name, args.role, tuple(args.windows))
    finally:
        access.close()
    if args.json:
        print(json.dumps({"name": args.name, "role": args.role, "token": token}, ensure_ascii=False))
        return 0
    where = f", windows {', '.join(map(str, sorted(set(args.windows))))}" if args.windows else ""
    print(f"已添加设备 {args.name}（{ROLE_WORDS[args.role]}{where}）。令牌只显示这一次，请放到该设备上：\n"
          f"device {args.name} added ({args.role}{where}). The token is shown this once only; put it on that "
          "device ([client] token_file, or JIAOHAO_TOKEN):\n"
          f"{token}")
    return 0


def list_(ctx, args) -> int:
    access = access_for(ctx, write=False)
    try:
        devices = access.devices()
    finally:
        access.close()
    if args.json:
        print(json.dumps({"devices": [
            {"name": d.name, "role": d.role, "windows": list(d.windows), "created_at": _iso(d.created_at),
             "last_seen_at": _iso(d.last_seen_at), "revoked_at": _iso(d.revoked_at)} for d in devices]},
            ensure_ascii=False))
        return 0
    if not devices:
        print("没有设备 no devices yet: jiaohao devices add NAME --role kiosk|screen|caller|controller")
        return 0
    print(f"{'name':<20} {'role':<10} {'windows':<10} {'added':<16}  {'last seen':<16}  state")
    for d in devices:
        state = f"已吊销 revoked {short_time(d.revoked_at)}" if d.revoked_at else "有效 active"
        print(f"{d.name:<20} {d.role:<10} {','.join(map(str, d.windows)) or 'any' if d.role == 'caller' else '-':<10} "
              f"{short_time(d.created_at):<16}  {short_time(d.last_seen_at):<16}  {state}")
    return 0


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts).isoformat(timespec="seconds") if ts else None


def revoke(ctx, args) -> int:
    access = access_for(ctx)
    try:
        access.revoke_device(args.name)
    finally:
        access.close()
    print(f"已吊销设备 {args.name}：其令牌从现在起被拒绝。\n"
          f"device {args.name} revoked: its token is refused from now on (its open event streams close). "
          f"To give it a new token: jiaohao devices add {args.name} --role …")
    return 0

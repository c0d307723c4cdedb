"""`jiaohao staff add|list|passwd|disable|enable`: the people who log in to the hall API
(software caller, managers' pages) with their 工号 and password (hall/access.py;
docs/access.md). Passwords are asked twice without echo on a terminal, or read from
standard input with ``--password-stdin``; the database keeps a salted scrypt hash.
"""
from __future__ import annotations

import getpass
import json
import sys
from datetime import datetime

from ..context import CommandError
from .devices_cmd import access_for, short_time

ROLE_WORDS = {"staff": "窗口人员 staff", "manager": "管理人员 manager", "technician": "技术人员 technician"}


def register(sub) -> None:
    p = sub.add_parser("staff", help="staff accounts of the hall API (工号, password, role)")
    p.set_defaults(config_view=True)
    s = p.add_subparsers(dest="staff_command", metavar="ACTION")
    s.required = True

    def password_option(a):
        a.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of standard input (scripts); "
                            "without it the password is asked twice on the terminal")

    a = s.add_parser("add", help="add a staff member (asks for a password of at least 8 characters)")
    a.add_argument("staff", help="工号, the staff number, e.g. 0517")
    a.add_argument("--name", required=True, help="the person's name, e.g. 张三")
    a.add_argument("--role", required=True, choices=["staff", "manager", "technician"],
                   help="staff: window operations at the window logged in at; manager: everything a person "
                        "may do; technician: device notices and reports")
    password_option(a)
    a.set_defaults(func=add)
    a = s.add_parser("list", help="every staff member: role, added, disabled")
    a.add_argument("--json", action="store_true", help="one JSON object on stdout")
    a.set_defaults(func=list_)
    a = s.add_parser("passwd", help="set a new password (that person's open logins end)")
    a.add_argument("staff", help="工号")
    password_option(a)
    a.set_defaults(func=passwd)
    a = s.add_parser("disable", help="no more logins for this person (open logins end at once)")
    a.add_argument("staff", help="工号")
    a.set_defaults(func=disable)
    a = s.add_parser("enable", help="allow a disabled person to log in again")
    a.add_argument("staff", help="工号")
    a.set_defaults(func=enable)


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of stdin with ``--password-stdin``, else asked twice
    without echo on the terminal; checked (at least 8 characters) before anything is hashed."""
    from hall.access import MIN_PASSWORD, password_problem
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise CommandError("没有读到密码，未作修改 (no password on standard input (its first line); "
                               "nothing changed)")
    else:
        if not sys.stdin.isatty():
            raise CommandError("没有终端可以输入密码：用 --password-stdin 从标准输入给出，未作修改 "
                               "(no terminal to ask the password on: give it on standard input with "
                               "--password-stdin; nothing changed)")
        password = getpass.getpass(f"新密码 new password (at least {MIN_PASSWORD} characters): ")
        if password_problem(password) is None and getpass.getpass("再输入一次 again: ") != password:
            raise CommandError("两次输入的密码不同 the two passwords differ; nothing changed")
    problem = password_problem(password)
    if problem:
        from hall.access import MAX_PASSWORD  # the Chinese said "at least 8" for a password too long, too
        raise CommandError(f"密码须为 {MIN_PASSWORD}-{MAX_PASSWORD} 个字符，不能全是空格或含控制字符 {problem}; "
                           "nothing changed")
    return password


def add(ctx, args) -> int:
    from hall.access import Access
    Access._check_staff_number(args.staff)  # a mistyped number is said before the password is asked
    password = read_password(args.password_stdin)
    access = access_for(ctx)
    try:
        member = access.add_staff(args.staff, args.name, args.role, password)
    finally:
        access.close()
    print(f"已添加 {member.name}（工号 {member.staff}，{ROLE_WORDS[member.role]}）。\n"
          f"staff {member.staff} {member.name} added ({member.role}): log in with 工号 {member.staff} "
          "and this password.")
    return 0


def list_(ctx, args) -> int:
    access = access_for(ctx, write=False)
    try:
        members = access.staff()
    finally:
        access.close()
    if args.json:
        print(json.dumps({"staff": [
            {"staff": m.staff, "name": m.name, "role": m.role,
             "created_at": datetime.fromtimestamp(m.created_at).isoformat(timespec="seconds"),
             "disabled_at": datetime.fromtimestamp(m.disabled_at).isoformat(timespec="seconds")
             if m.disabled_at else None} for m in members]}, ensure_ascii=False))
        return 0
    if not members:
        print("没有人员 no staff yet: jiaohao staff add 0517 --name 张三 --role staff")
        return 0
    print(f"{'工号':<10} {'name':<12} {'role':<11} {'added':<16}  state")
    for m in members:
        state = f"已停用 disabled {short_time(m.disabled_at)}" if m.disabled_at else "有效 active"
        print(f"{m.staff:<10} {m.name:<12} {m.role:<11} {short_time(m.created_at):<16}  {state}")
    return 0


def passwd(ctx, args) -> int:
    access = access_for(ctx)
    try:
        _known(access, args.staff)
        password = read_password(args.password_stdin)
        access.set_password(args.staff, password)
    finally:
        access.close()
    print(f"工号 {args.staff} 的密码已更改，其已登录的会话已结束。\n"
          f"password of {args.staff} changed; that person's open logins have ended.")
    return 0


def _known(access, staff: str) -> None:
    if staff not in {m.staff for m in access.staff()}:
        raise CommandError(f"没有工号 {staff} no staff number {staff}: see `jiaohao staff list`")


def disable(ctx, args) -> int:
    access = access_for(ctx)
    try:
        _known(access, args.staff)
        before = next(m for m in access.staff() if m.staff == args.staff)
        access.disable_staff(args.staff)
    finally:
        access.close()
    if before.disabled_at:
        print(f"工号 {args.staff} 已于 {short_time(before.disabled_at)} 停用 already disabled; nothing changed")
    else:
        print(f"工号 {args.staff} 已停用，其已登录的会话已结束。\n"
              f"staff {args.staff} disabled: no more logins; open logins have ended. "
              f"`jiaohao staff enable {args.staff}` undoes it.")
    return 0


def enable(ctx, args) -> int:
    access = access_for(ctx)
    try:
        _known(access, args.staff)
        access.enable_staff(args.staff)
    finally:
        access.close()
    print(f"工号 {args.staff} 可以再次登录 may log in again.")
    return 0

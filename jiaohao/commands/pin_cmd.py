"""`jiaohao pin set --role technician|green`: the kiosk's PINs, stored as salted scrypt hashes.

The PIN is asked twice without echo (or read from stdin when it is not a terminal),
hashed (:mod:`kiosk.pins`) and written into the ``[kiosk]`` section of the hall file in
place: only that one line changes, the rest of the file stays byte for byte, and the
result is parsed again before it is written. When the file cannot be written the
line to paste is printed instead. `jiaohao pin unlock` forgets this user's kiosk
lock-outs after wrong PINs.
"""
from __future__ import annotations

import getpass
import os
import re
import sys
import tempfile
import tomllib
from pathlib import Path

from ..context import CommandError

_HEADER = re.compile(r"^\s*\[\s*kiosk\s*\]\s*(#.*)?$")
_ANY_HEADER = re.compile(r"^\s*\[")


def register(sub) -> None:
    p = sub.add_parser("pin", help="the kiosk's technician and green-channel PINs")
    s = p.add_subparsers(dest="pin_command", metavar="ACTION")
    s.required = True
    a = s.add_parser("set", help="set a kiosk PIN (stored in the hall file as a salted hash)",
                     description="Ask for a new PIN twice (4-8 digits, not echoed; read from stdin when it is "
                                 "not a terminal) and write its salted scrypt hash into the [kiosk] section of "
                                 "the hall file, changing nothing else. Restart the kiosk afterwards.")
    a.add_argument("--role", choices=["technician", "green"], required=True,
                   help="technician: opens the technician menu; green: staff PIN of the green channel")
    a.set_defaults(func=set_pin)
    u = s.add_parser("unlock", help="forget this user's kiosk lock-outs after wrong PINs",
                     description="Delete the kiosk's wrong-PIN lock-out file of this user; restart the kiosk "
                                 "afterwards.")
    u.add_argument("--state", metavar="FILE", help="the lock-out file (default: this user's)")
    u.set_defaults(func=unlock)


def set_pin(ctx, args) -> int:
    from config.loader import HALLS_DIR, ConfigError, parse_hall
    from kiosk.pins import ROLE_WORDS, ROLE_ZH, ROLES, hash_pin, pin_problem, verify_pin

    path = Path(ctx.config_path)
    key = ROLES[args.role]
    try:
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except OSError as e:
        raise CommandError(f"{path}: 读不了 (cannot read: {e.strerror or e})") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise CommandError(f"{path}: 不是能读的大厅配置文件，`jiaohao config check` 会说明 (not a readable hall "
                           f"file ({e}); `jiaohao config check` says more)") from None
    kiosk = data.get("kiosk", {}) if isinstance(data.get("kiosk", {}), dict) else {}

    pin = read_pin(ROLE_WORDS[args.role])
    problem = pin_problem(pin)
    if problem:
        raise CommandError(f"密码不可用 (PIN refused): {problem}；未作修改 (nothing changed)")
    other = next(r for r in ROLES if r != args.role)
    if verify_pin(pin, str(kiosk.get(ROLES[other], ""))):
        raise CommandError(f"{ROLE_ZH[args.role]}不能与{ROLE_ZH[other]}相同，未作修改 (the {ROLE_WORDS[args.role]} "
                           f"must differ from the {ROLE_WORDS[other]}: staff could otherwise open the technician "
                           "menu; nothing changed)")

    value = hash_pin(pin)
    new = with_kiosk_line(text, key, value, data)
    if new is None:
        why = ("它的 [kiosk] 部分不是本命令能修改的 [kiosk] 表的写法",
               "its [kiosk] section is not written as a [kiosk] table this command can edit")
    elif path.resolve().is_relative_to(HALLS_DIR.resolve()):
        why = ("这是 jiaohao 自带的大厅文件；复制一份，把这一行放进副本，再用 --config 指定它",
               "it is a hall shipped with jiaohao; copy it, put the line in the copy and use --config")
    else:
        why = write_in_place(path, new)
    if why is not None:
        plain = key.removesuffix("_hash")
        delete = plain in kiosk
        print(f"jiaohao: 未修改 {path} (not changed): {why[0]}。请把下面这一行放进它的 [kiosk] 部分"
              + (f"，并删掉它的 {plain} 那一行" if delete else "") + f" ({why[1]}. Put this line in its [kiosk] "
              "section" + (f" and delete its {plain} line" if delete else "") + "):", file=sys.stderr)
        print(f'{key} = "{value}"')
        return 1
    print(f"已设置{ROLE_ZH[args.role]} ({ROLE_WORDS[args.role]} set): {path} [kiosk] {key}"
          "（存的是加盐的 scrypt 散列，不是密码本身） (a salted scrypt hash, not the PIN)")
    try:
        cfg = parse_hall(new, path)
        if args.role == "green" and cfg.kiosk.priority_rule == "open":
            print('注意 (note): priority_rule = "open"：只有 priority_rule = "pin" 时绿色通道才要这个密码 '
                  '(the green channel asks for this PIN only with priority_rule = "pin")')
    except ConfigError as e:
        print(f"注意：文件还有问题 (note: the file still has a problem): {e}")
    print("请重启取号机后生效 (restart the kiosk to use it: systemctl --user restart jiaohao-kiosk, as the kiosk "
          "user).")
    return 0


def read_pin(words: str) -> str:
    """The new PIN: asked twice without echo on a terminal, else the first line of stdin
    (a second line, when given, must repeat it)."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"新密码，4 到 8 位数字 (new {words}, 4-8 digits): ")
        again = getpass.getpass("再输入一次 (again): ")
    else:
        lines = [s.strip() for s in sys.stdin.read().splitlines() if s.strip()]
        if not lines:
            raise CommandError("没有读到密码，未作修改 (no PIN on standard input; nothing changed)")
        first, again = lines[0], lines[1] if len(lines) > 1 else lines[0]
    if first != again:
        raise CommandError("两次输入的密码不同，未作修改 (the two PINs differ; nothing changed)")
    return first.strip()


def with_kiosk_line(text: str, key: str, value: str, data: dict) -> str | None:
    """``text`` with ``key = "value"`` as the only ``key`` (or its plain-text forerunner) of ``[kiosk]``.

    Every other byte stays as it was. None when the result would not read back as
    ``data`` with just that key changed (e.g. a kiosk section written another way).
    """
    line = f'{key} = "{value}"'
    lines = text.splitlines(keepends=True)
    plain = key.removesuffix("_hash")
    own = re.compile(rf"^\s*({re.escape(key)}|{re.escape(plain)})\s*=")
    start = next((i for i, s in enumerate(lines) if _HEADER.match(s.rstrip("\r\n"))), None)
    if start is None:
        if "kiosk" in data:
            return None
        eol = "\r\n" if "\r\n" in text else "\n"
        body = text if not text or text.endswith(("\n", "\r")) else text + eol
        new = f"{body}{eol}[kiosk]{eol}{line}{eol}"
    else:
        eol = lines[start][len(lines[start].rstrip("\r\n")):] or ("\r\n" if "\r\n" in text else "\n")
        if not lines[start].endswith(("\n", "\r")):
            lines[start] += eol
        end = next((i for i in range(start + 1, len(lines)) if _ANY_HEADER.match(lines[i])), len(lines))
        found = [i for i in range(start + 1, end) if own.match(lines[i])]
        at = found[0] if found else start + 1
        ending = (lines[at][len(lines[at].rstrip("\r\n")):] or eol) if found else eol
        for i in reversed(found):
            del lines[i]
        lines.insert(at, line + ending)
        new = "".join(lines)
    expected = {**data, "kiosk": {k: v for k, v in data.get("kiosk", {}).items() if k not in (key, plain)}}
    expected["kiosk"][key] = value
    try:
        return new if tomllib.loads(new) == expected else None
    except tomllib.TOMLDecodeError:
        return None


def write_in_place(path: Path, text: str) -> tuple[str, str] | None:
    """Replace the file atomically keeping its mode and owner (or rewrite it when only the file,
    not its folder, is writable); the reason (Chinese, English) when neither works."""
    data = text.encode("utf-8")
    st = path.stat()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, st.st_mode & 0o7777)
        if os.geteuid() == 0:
            os.chown(tmp, st.st_uid, st.st_gid)
        os.replace(tmp, path)
        return None
    except OSError:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
    try:
        with open(path, "r+b") as f:
            f.write(data)
            f.truncate()
        return None
    except OSError as e:
        return f"写不进去（{e.strerror or e}）", f"cannot write it ({e.strerror or e})"


def unlock(ctx, args) -> int:
    from kiosk.lockout import default_state_path
    path = Path(args.state) if args.state else default_state_path()
    try:
        path.unlink()
    except FileNotFoundError:
        print(f"没有锁定记录 (no lock-outs kept in {path})")
        return 0
    except OSError as e:
        raise CommandError(f"{path}: 删不掉 (cannot delete: {e.strerror or e})") from None
    print(f"已解除锁定，请重启取号机 (lock-outs forgotten, {path} deleted; restart the kiosk: "
          "systemctl --user restart jiaohao-kiosk)")
    return 0

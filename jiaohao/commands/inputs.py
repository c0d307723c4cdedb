"""What people type on the command line, checked before anything runs.

Numbers are ASCII digits only: Python's ``int()`` also takes ``1_2`` (12), ``٢`` and
``２`` (2), so ``queue call 1_2`` would call window 12. Errors from argparse are one
line, like every other error of the command.
"""
from __future__ import annotations

import argparse
import re
import unicodedata

_DIGITS = re.compile(r"[0-9]+")
_INTEGER = re.compile(r"-?[0-9]+")
LARGEST = 2**63 - 1  # SQLite's INTEGER: a larger id overflowed deep inside a query
_ZH: dict[str, str] = {}  # a type's refusal in English -> in Chinese (argparse passes on only str(e))


class Refusal(argparse.ArgumentTypeError):
    """A ``type=`` function's refusal in both languages. argparse keeps only the English
    (``str(e)``); :meth:`Parser.error` finds the Chinese again and puts it first."""

    def __init__(self, zh: str, en: str):
        super().__init__(en)
        _ZH[en] = zh


def ascii_int(text: str) -> int:
    """What ``type=int`` means in every parser of the command: ASCII digits, maybe a minus."""
    if not _INTEGER.fullmatch(text):
        raise Refusal(f"{text!r} 不是整数（只能用数字 0-9）", f"{text!r} is not a whole number (digits 0-9)")
    if len(text) > 20 or abs(int(text)) > LARGEST:
        raise Refusal(f"{text} 这个数太大了", f"{text} is too large a number")
    return int(text)


_UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}  # controls (ESC, NUL, CR), format (RTL override, zero width)


def printable(text: str) -> str:
    """``text`` safe to show on a terminal: control and format characters escaped as in
    ``repr`` (\\x1b, \\x00, \\u202e), so a typed ESC sequence or RTL override is seen, not
    obeyed. Line breaks stay (messages of several lines); Chinese and other text as it is."""
    if text.isprintable():
        return text
    return "".join(c if c == "\n" or unicodedata.category(c) not in _UNSAFE else _escaped(c) for c in text)


def _escaped(c: str) -> str:
    if c in "\t\r":
        return "\\t" if c == "\t" else "\\r"
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are one line that points to --help, and whose
    ``type=int`` takes ASCII digits only (subcommand parsers are of this class too)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register("type", int, ascii_int)

    def error(self, message: str):
        head, sep, en = message.partition(": ")
        zh = _ZH.get(en) if sep and head.startswith("argument ") else None
        where = f"{head.removeprefix('argument ')}：{zh}；" if zh else ""
        self.exit(2, printable(f"{self.prog}: 命令写得不对，{where}用法见 {self.prog} --help "
                               f"(usage error: {message})") + "\n")


def number(what: str, low: int, high: int, zh: str):
    """An argparse type: a whole number from ``low`` to ``high`` in ASCII digits (``what``,
    ``zh``: its name in English and in Chinese)."""
    def parse(text: str) -> int:
        if not _DIGITS.fullmatch(text):
            raise Refusal(f"{text!r} 不是{zh}（数字 0-9，{low}-{high}）",
                          f"{text!r} is not a {what} (digits 0-9, {low}-{high})")
        value = int(text)
        if not low <= value <= high:
            raise Refusal(f"{zh}要在 {low}-{high} 之间，不是 {text}", f"{what} must be {low}-{high}, not {text}")
        return value
    parse.__name__ = what  # argparse names the type in some messages
    return parse


window_number = number("window number", 1, 9999, "窗口号")  # as config.schema.Window.number
score = number("score", 1, 5, "评分")


def server_options(p: argparse.ArgumentParser) -> None:
    """``--server`` and ``--token-file`` of the commands that can use a hall server."""
    p.add_argument("--server", metavar="URL",
                   help="use the hall server (jiaohao serve) at URL, e.g. http://192.168.1.10:8080, instead of "
                        "a database on this PC (default: $JIAOHAO_SERVER, else [client] server)")
    p.add_argument("--token-file", metavar="PATH",
                   help="file holding this PC's token for the hall server (default: $JIAOHAO_TOKEN, "
                        "$JIAOHAO_TOKEN_FILE, [client] token_file, ~/.config/jiaohao/device.token, "
                        "/etc/jiaohao/device.token)")
    p.set_defaults(remote_ok=True)

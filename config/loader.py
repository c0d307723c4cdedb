"""Load a hall TOML file into a :class:`HallConfig`, with errors people can act on.

Every failure becomes one :class:`ConfigError` whose message names the file, the
field path (``windows[3].services[0]``) and, where it can be found, the line:
``FILE:LINE: field.path: 中文 (English)``. Only a regular file is read (a pipe, a device or a
folder is refused, never waited on); a UTF-8 BOM is accepted; values are checked with
their TOML types (``true`` is not the number 1, ``"2"`` is not 2, ``nan`` is no number);
nesting deep enough to overflow the parser is refused with its line.
"""
from __future__ import annotations

import math
import os
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .schema import HallConfig

HALLS_DIR = Path(__file__).parent / "halls"
DEMO_HALL = HALLS_DIR / "demo.toml"
MAX_BYTES = 8 * 1024 * 1024  # the 72-window hall is 40 KB: anything this big is the wrong file
MAX_NESTING = 64  # [ ] and { } inside each other; a hall file needs 2


class ConfigError(Exception):
    """A hall configuration that cannot be used; the message says where and why."""

    def __init__(self, path: Path | str, message: str, line: int | None = None, field: str = "", zh: str = ""):
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message  # the English
        self.zh = zh
        where = self.path + (f":{line}" if line else "")
        super().__init__(f"{where}: {field + ': ' if field else ''}{f'{zh} ({message})' if zh else message}")


def load_hall(path: Path | str) -> HallConfig:
    """Read and validate a hall file; raise ConfigError on any problem."""
    path = Path(path)
    return parse_bytes(_read(path), path)


def parse_bytes(data: bytes, path: Path | str = "<bytes>") -> HallConfig:
    """Validate the bytes of a hall file (UTF-8, a BOM allowed); raise ConfigError."""
    try:
        text = data.decode("utf-8-sig")  # a BOM (Windows Notepad) is fine
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise ConfigError(path, f"not UTF-8 text (byte 0x{data[e.start]:02X}); save the file as UTF-8 "
                                "(it may have been saved as GBK/ANSI)", line,
                          zh=f"不是 UTF-8 文本（字节 0x{data[e.start]:02X}）：请把文件另存为 UTF-8（可能存成了 GBK/ANSI）") from None
    return parse_hall(text, path)


_KINDS = ((stat.S_ISDIR, "a folder", "文件夹"), (stat.S_ISFIFO, "a named pipe (FIFO)", "命名管道（FIFO）"),
          (stat.S_ISSOCK, "a socket", "套接字"), (stat.S_ISCHR, "a device", "设备"), (stat.S_ISBLK, "a device", "设备"))


def _refuse_kind(path: Path, mode: int) -> None:
    for test, what, what_zh in _KINDS:
        if test(mode):
            raise ConfigError(path, f"is {what}, not a hall file: give the path of the .toml file",
                              zh=f"是{what_zh}，不是大厅配置文件：请给出 .toml 文件的路径")
    if not stat.S_ISREG(mode):
        raise ConfigError(path, "is not a regular file: give the path of the .toml file",
                          zh="不是普通文件：请给出 .toml 文件的路径")


def _read(path: Path) -> bytes:
    """The bytes of a regular file of sane size; never blocks on a pipe or a device."""
    try:
        _refuse_kind(path, os.stat(path).st_mode)
        # non-blocking open: a pipe put there after the check still cannot hang the load
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ConfigError(path, "file not found", zh="文件不存在") from None
    except PermissionError:
        raise ConfigError(path, "cannot read: permission denied (check the file's owner and mode)",
                          zh="没有权限读取：请检查文件的属主和权限") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise ConfigError(path, f"cannot read: {getattr(e, 'strerror', None) or e}", zh="读不了") from None
    try:
        _refuse_kind(path, os.fstat(fd).st_mode)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError(path, f"cannot read: {e.strerror or e}", zh="读不了") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise ConfigError(path, f"the file is over {MAX_BYTES // 1_000_000} MB; a hall file is a few "
                                "kilobytes: is this the right file?",
                          zh=f"文件超过 {MAX_BYTES // 1_000_000} MB，大厅配置文件只有几 KB：是不是选错了文件？")
    return data


def parse_hall(text: str, path: Path | str = "<string>") -> HallConfig:
    import tomllib  # (here: a cached hall, config/cache.py, is never parsed)

    text = text.removeprefix("\ufeff")  # a BOM is not part of the first line
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ConfigError(path, f"bad TOML: {msg}", int(m.group(1)) if m else None,
                          zh="TOML 写法不对") from None
    except RecursionError:
        line, field = _deepest(text)
        raise ConfigError(path, f"lists or tables nested more than {MAX_NESTING} deep; "
                                "a hall file needs two levels at most", line, field,
                          zh=f"列表或表嵌套超过 {MAX_NESTING} 层；大厅配置文件最多只要两层") from None
    _refuse_nan(data, text, path)
    from pydantic import ValidationError  # here: reading a file (config.cache) needs no pydantic

    from .schema import HallConfig, ReferenceError_
    try:
        # strict: TOML values are typed, so true is not the number 1 and "2" is not 2
        return HallConfig.model_validate(data, strict=True)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        message = err["msg"]
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ReferenceError_):
            loc, message = loc + tuple(original.loc), original.message
        message, zh = _plain(err["type"], message, loc, err.get("input"), err.get("ctx") or {})
        more = len(e.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
            zh += f"（另有 {more} 处问题）"
        raise ConfigError(path, message, find_line(text, loc), format_loc(loc), zh) from None


def _plain(kind: str, message: str, loc: tuple, value=None, ctx: dict | None = None) -> tuple[str, str]:
    """(English, Chinese) for one of pydantic's errors; the Chinese of a validator's own
    refusal is its :class:`Invalid`'s ``zh``."""
    ctx = ctx or {}
    if kind == "missing":
        return "required field is missing", "缺少必填项"
    if kind == "extra_forbidden":
        return (f"unknown key {loc[-1]!r}", f"没有这一项 {loc[-1]!r}") if loc else ("unknown key", "没有这一项")
    if kind in _EXPECTED:
        hint = hint_zh = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            if re.fullmatch(r"\s*(-?\d+(\.\d+)?|true|false)\s*", value):
                hint, hint_zh = " (without the quotes)", "（去掉引号）"
        en, zh = _EXPECTED[kind]
        return f"expected {en}, not {_toml(value)}{hint}", f"应为{zh}，不是 {_toml(value)}{hint_zh}"
    if kind == "int_parsing_size":  # a whole number of 20 digits and more where a few are allowed
        return f"{_toml(value)} is far too large a number", f"{_toml(value)} 这个数太大了"
    if kind == "string_pattern_mismatch" and (words := _pattern_words(str(ctx.get("pattern")))):
        return f"{_toml(value)}: {words[0]}", f"{_toml(value)}：{words[1]}"
    if kind in _BOUNDS:
        key, zh = _BOUNDS[kind]
        return message, zh.format(str(ctx.get(key)).replace(" or ", " 或 "))
    return message.removeprefix("Value error, "), getattr(ctx.get("error"), "zh", "")


_EXPECTED = {
    "int_type": ("a whole number (integer) like 5", "整数，如 5"),
    "int_parsing": ("a whole number (integer) like 5", "整数，如 5"),
    "int_from_float": ("a whole number (integer) like 5", "整数，如 5"),
    "float_type": ("a number like 8 or 2.5", "数字，如 8 或 2.5"), "float_parsing": ("a number like 8 or 2.5", "数字，如 8 或 2.5"),
    "string_type": ("text in double quotes", "双引号里的文字"),
    "bool_type": ("true or false", " true 或 false"), "bool_parsing": ("true or false", " true 或 false"),
    "list_type": ('a list in brackets like ["A", "B"]', '方括号里的列表，如 ["A", "B"]'),
    "dict_type": ("a table: a [section] or { key = value, ... }", "一个表：[小节] 或 { 键 = 值, ... }"),
    "model_type": ("a table: a [section] or { key = value, ... }", "一个表：[小节] 或 { 键 = 值, ... }"),
}
# pydantic's range and length checks: the ctx key holding the limit, and the Chinese sentence
_BOUNDS = {
    "greater_than_equal": ("ge", "须不小于 {}"), "greater_than": ("gt", "须大于 {}"),
    "less_than_equal": ("le", "须不大于 {}"), "less_than": ("lt", "须小于 {}"),
    "string_too_short": ("min_length", "至少要 {} 个字符"), "string_too_long": ("max_length", "最多 {} 个字符"),
    "too_short": ("min_length", "至少要 {} 项"), "too_long": ("max_length", "最多 {} 项"),
    "string_pattern_mismatch": ("pattern", "不符合格式 {}"), "literal_error": ("expected", "只能是 {}"),
}


def _pattern_words(pattern: str) -> tuple[str, str] | None:
    """``^[A-Za-z0-9_-]{0,20}$`` or ``^[first][rest]{m,n}$`` in words, not as a regular
    expression (None for any other pattern)."""
    m = re.fullmatch(r"\^(?:\[([^\]]+)\])?\[([^\]]+)\]\{(\d+),(\d+)\}\$", pattern)
    if not m:
        return None
    first, rest, low, high = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
    low, high = (low + 1, high + 1) if first else (low, high)
    en, zh = _class_words(rest)
    size, size_zh = (f"at most {high}", f"最多 {high} 个") if low == 0 else (f"{low}-{high}", f"{low}-{high} 个")
    en, zh = f"{size} characters, each {en}", f"{size_zh}字符，只能用{zh}"
    if first:
        first_en, first_zh = _class_words(first)
        en, zh = en + f", the first {first_en}", zh + f"，第一个须是{first_zh}"
    return en, zh


def _class_words(chars: str) -> tuple[str, str]:
    """A regular expression's character class (``A-Za-z0-9_-``) in words."""
    en, zh = [], []
    if "A-Z" in chars or "a-z" in chars:
        en.append("a letter"), zh.append("字母")
    if "0-9" in chars:
        en.append("a digit"), zh.append("数字")
    others = re.sub(r"A-Z|a-z|0-9", "", chars)
    en += [repr(c) for c in others]
    zh += others
    if len(en) == 1:
        return en[0], zh[0]
    sep = " 或 " if zh[-2][-1].isascii() or zh[-1][0].isascii() else "或"
    return ", ".join(en[:-1]) + " or " + en[-1], "、".join(zh[:-1]) + sep + zh[-1]


def _toml(value) -> str:
    """``value`` as it was written in the file, in short."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + (value if len(value) <= 40 else value[:37] + "...") + '"'
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"  # TOML dates and times


def _refuse_nan(data: dict, text: str, path) -> None:
    """nan and inf are TOML numbers, but no field of a hall means either (iterative: any depth)."""
    stack: list[tuple[object, tuple]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            word = "nan (not a number)" if math.isnan(value) else "inf (infinity)"
            raise ConfigError(path, f"{word} cannot be used here; give a number", find_line(text, loc),
                              format_loc(loc), f"这里不能用 {word.split()[0]}，请给出一个数字")
        if isinstance(value, dict):
            stack.extend((v, loc + (k,)) for k, v in reversed(value.items()))
        elif isinstance(value, list):
            stack.extend((v, loc + (i,)) for i, v in reversed(list(enumerate(value))))


def _deepest(text: str) -> tuple[int | None, str]:
    """Line and field of the value whose [ ] / { } go more than MAX_NESTING deep (strings and
    comments skipped); (None, "") when none does."""
    depth, start, line, i, n = 0, 0, 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        elif c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "\"'":
            quote = c * 3 if text.startswith(c * 3, i) else c
            j = i + len(quote)
            while j < n and not text.startswith(quote, j):
                if len(quote) == 1 and text[j] == "\n":
                    break  # an unclosed one-line string ends at the line's end
                j += 2 if (c == '"' and text[j] == "\\") else 1
            j = min(j, n)
            line += text.count("\n", i, j)
            i = j + (len(quote) if text.startswith(quote, j) else 0)
            continue
        elif c in "[{":
            if depth == 0:
                start = line
            depth += 1
            if depth > MAX_NESTING:
                return start, _field_at(text, start)
        elif c in "]}":
            depth = max(depth - 1, 0)
        i += 1
    return None, ""


def _field_at(text: str, lineno: int) -> str:
    """The field path (``windows[1].services``) of the key on line ``lineno``."""
    lines = text.splitlines()
    table, counts = (), {}
    for raw in lines[:lineno - 1]:
        m = _HEADER.match(raw)
        if m:
            name = m.group(2).replace('"', "")
            if m.group(1) == "[[":
                counts[name] = counts.get(name, -1) + 1
                table = (*name.split("."), counts[name])
            else:
                table = tuple(name.split("."))
    m = _KEY.match(lines[lineno - 1]) if lineno <= len(lines) else None
    return format_loc(table + ((m.group(1),) if m else ()))


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\"]+)\s*\]\]?")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


def find_line(text: str, loc: tuple) -> int | None:
    """Best-effort line number (1-based) of the field at ``loc`` in TOML ``text``."""
    if not loc:
        return None
    lines = text.splitlines()
    # Table part: ("windows", 3, ...) -> 4th [[windows]]; ("buses", "f1", ...) -> [buses.f1]
    table, rest = None, list(loc)
    if len(loc) >= 2 and isinstance(loc[1], int):
        table, index, rest = str(loc[0]), loc[1], list(loc[2:])
    elif len(loc) >= 2 and loc[0] == "buses":
        table, index, rest = f"buses.{loc[1]}", 0, list(loc[2:])
    elif len(loc) >= 3 and isinstance(loc[1], str) and any(  # a sub-table: [ratings.push]
            (m := _HEADER.match(line)) and m.group(2).replace('"', "") == f"{loc[0]}.{loc[1]}" for line in lines):
        table, index, rest = f"{loc[0]}.{loc[1]}", 0, list(loc[2:])
    elif len(loc) >= 2:
        table, index, rest = str(loc[0]), 0, list(loc[1:])
    start, end = 0, len(lines)
    if table is not None:
        seen, start = -1, None
        for i, line in enumerate(lines):
            m = _HEADER.match(line)
            if m and m.group(2).replace('"', "") == table:
                seen += 1
                if seen == index:
                    start = i
                    break
        if start is None:
            return _key_line(lines, 0, len(lines), str(loc[0]))
        end = next((i for i in range(start + 1, len(lines)) if _HEADER.match(lines[i])), len(lines))
        if not rest or not isinstance(rest[0], str):
            return start + 1
        found = _key_line(lines, start + 1, end, rest[0])
        return found or start + 1
    return _key_line(lines, start, end, str(loc[0]))


def _key_line(lines: list[str], start: int, end: int, key: str) -> int | None:
    for i in range(start, end):
        if _HEADER.match(lines[i]):
            if start == 0 and i > 0:
                break  # top-level keys stop at the first table
            continue
        m = _KEY.match(lines[i])
        if m and m.group(1) == key:
            return i + 1
    return None

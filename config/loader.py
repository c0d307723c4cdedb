"""Load a hall TOML file into a :class:`HallConfig`, with errors people can act on.

Every failure becomes one :class:`ConfigError` whose message names the file, the
field path (``windows[3].services[0]``) and, where it can be found, the line:
``FILE:LINE: field.path: reason``. Only a regular file is read (a pipe, a device or a
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

    def __init__(self, path: Path | str, message: str, line: int | None = None, field: str = ""):
        self.path = str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = self.path + (f":{line}" if line else "")
        super().__init__(f"{where}: {field + ': ' if field else ''}{message}")


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
                                "(it may have been saved as GBK/ANSI)", line) from None
    return parse_hall(text, path)


_KINDS = ((stat.S_ISDIR, "is a folder, not a hall file: give the path of the .toml file"),
          (stat.S_ISFIFO, "is a named pipe (FIFO), not a hall file: give the path of the .toml file"),
          (stat.S_ISSOCK, "is a socket, not a hall file: give the path of the .toml file"),
          (stat.S_ISCHR, "is a device, not a hall file: give the path of the .toml file"),
          (stat.S_ISBLK, "is a device, not a hall file: give the path of the .toml file"))


def _refuse_kind(path: Path, mode: int) -> None:
    for test, words in _KINDS:
        if test(mode):
            raise ConfigError(path, words)
    if not stat.S_ISREG(mode):
        raise ConfigError(path, "is not a regular file: give the path of the .toml file")


def _read(path: Path) -> bytes:
    """The bytes of a regular file of sane size; never blocks on a pipe or a device."""
    try:
        _refuse_kind(path, os.stat(path).st_mode)
        # non-blocking open: a pipe put there after the check still cannot hang the load
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except PermissionError:
        raise ConfigError(path, "cannot read: permission denied (check the file's owner and mode)") from None
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        raise ConfigError(path, f"cannot read: {getattr(e, 'strerror', None) or e}") from None
    try:
        _refuse_kind(path, os.fstat(fd).st_mode)
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise ConfigError(path, f"cannot read: {e.strerror or e}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise ConfigError(path, f"the file is over {MAX_BYTES // 1_000_000} MB; a hall file is a few "
                                "kilobytes: is this the right file?")
    return data


def parse_hall(text: str, path: Path | str = "<string>") -> HallConfig:
    import tomllib  # (here: a cached hall, config/cache.py, is never parsed)

    text = text.removeprefix("\ufeff")  # a BOM is not part of the first line
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ConfigError(path, f"bad TOML: {msg}", int(m.group(1)) if m else None) from None
    except RecursionError:
        line, field = _deepest(text)
        raise ConfigError(path, f"lists or tables nested more than {MAX_NESTING} deep; "
                                "a hall file needs two levels at most", line, field) from None
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
        message = _plain(err["type"], message, loc, err.get("input"))
        more = len(e.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(path, message, find_line(text, loc), format_loc(loc)) from None


def _plain(kind: str, message: str, loc: tuple, value=None) -> str:
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" if loc else "unknown key"
    if kind in _EXPECTED:
        hint = ""
        if isinstance(value, str) and kind in ("int_type", "float_type", "bool_type"):
            hint = " (without the quotes)" if re.fullmatch(r"\s*(-?\d+(\.\d+)?|true|false)\s*", value) else ""
        return f"expected {_EXPECTED[kind]}, not {_toml(value)}{hint}"
    return message.removeprefix("Value error, ")


_EXPECTED = {
    "int_type": "a whole number (integer) like 5", "int_parsing": "a whole number (integer) like 5",
    "int_from_float": "a whole number (integer) like 5", "float_type": "a number like 8 or 2.5",
    "float_parsing": "a number like 8 or 2.5", "string_type": "text in double quotes",
    "bool_type": "true or false", "bool_parsing": "true or false",
    "list_type": 'a list in brackets like ["A", "B"]',
    "dict_type": "a table: a [section] or { key = value, ... }",
    "model_type": "a table: a [section] or { key = value, ... }",
}


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
                              format_loc(loc))
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

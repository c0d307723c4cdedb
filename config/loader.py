"""Load a hall TOML file into a :class:`HallConfig`, with errors people can act on.

Every failure becomes one :class:`ConfigError` whose message names the file, the
field path (``windows[3].services[0]``) and, where it can be found, the line.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from .schema import HallConfig, ReferenceError_

HALLS_DIR = Path(__file__).parent / "halls"
DEMO_HALL = HALLS_DIR / "demo.toml"


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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(path, f"cannot read: {e}") from None
    return parse_hall(text, path)


def parse_hall(text: str, path: Path | str = "<string>") -> HallConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"\(at line (\d+), column \d+\)", str(e))
        msg = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(e))
        raise ConfigError(path, f"bad TOML: {msg}", int(m.group(1)) if m else None) from None
    try:
        return HallConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = tuple(err["loc"])
        message = err["msg"]
        original = (err.get("ctx") or {}).get("error")
        if isinstance(original, ReferenceError_):
            loc, message = loc + tuple(original.loc), original.message
        message = _plain(err["type"], message, loc)
        more = len(e.errors()) - 1
        if more:
            message += f" (and {more} more problem{'s' if more > 1 else ''})"
        raise ConfigError(path, message, find_line(text, loc), format_loc(loc)) from None


def _plain(kind: str, message: str, loc: tuple) -> str:
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return f"unknown key {loc[-1]!r}" if loc else "unknown key"
    return message.removeprefix("Value error, ")


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

"""Hall configuration: the shipped halls load; every broken file names file, line and field."""
from __future__ import annotations

import pytest

from config import DEMO_HALL, HALLS_DIR, ConfigError, load_hall, parse_hall

GOOD = """\
[hall]
name = "测试中心"

[buses.floor1]
url = "sim://floor1"

[[services]]
code = "A"
name = "社会保障"
hours = ["08:30-12:00", "14:00-17:30"]

[[services]]
code = "B"
name = "医疗保障"

[[windows]]
number = 1
services = ["A", "B"]
keypad = { bus = "floor1", address = 1 }

[[windows]]
number = 2
services = ["B"]
keypad = { bus = "floor1", address = 2 }
"""


def test_shipped_halls_load():
    demo = load_hall(DEMO_HALL)
    assert (len(demo.services), len(demo.windows)) == (8, 12)
    large = load_hall(HALLS_DIR / "large.toml")
    assert len(large.windows) == 72
    assert len(large.services) == 174
    assert len({w.department for w in large.windows}) == 19


def test_good_minimal_hall():
    cfg = parse_hall(GOOD)
    assert cfg.service("A").ticket_prefix == "A"
    assert cfg.window(2).services == ["B"]
    assert cfg.rules.strategy == "strict"


def broken(old: str, new: str) -> ConfigError:
    assert old in GOOD
    with pytest.raises(ConfigError) as e:
        parse_hall(GOOD.replace(old, new, 1), "hall.toml")
    return e.value


@pytest.mark.parametrize("old,new,line,field,words", [
    ('services = ["B"]', 'services = ["Q"]', 23, "windows[1].services[0]", "unknown service 'Q'"),
    ("number = 2", "number = 1", 22, "windows[1].number", "used twice"),
    ('"14:00-17:30"', '"14:00-13:30"', 10, "services[0].hours", "ends before it starts"),
    ('"08:30-12:00"', '"8h30"', 10, "services[0].hours", "not a time range"),
    ('name = "医疗保障"', 'name = "医疗保障"\ncolour = "red"', 15, "services[1].colour", "unknown key 'colour'"),
    ('name = "测试中心"', '', 1, "hall.name", "required field is missing"),
    ('address = 2 }', 'address = 1 }', 24, "windows[1].keypad.address", "already used by window 1 keypad"),
    ('address = 2 }', 'address = 300 }', 24, "windows[1].keypad.address", "less than or equal to 247"),
    ('{ bus = "floor1", address = 2 }', '{ bus = "floor9", address = 2 }', 24, "windows[1].keypad.bus",
     "unknown bus 'floor9'"),
    ('url = "sim://floor1"', 'url = "sim://floor1"\nbaud = "fast"', 6, "buses.floor1.baud", "integer"),
])
def test_errors_name_line_and_field(old, new, line, field, words):
    err = broken(old, new)
    assert err.field == field
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith(f"hall.toml:{line}: {field}: ")


def test_bad_toml_gives_its_line():
    err = broken('code = "B"', 'code = "B')
    assert err.line == 13 and "bad TOML" in str(err)


def test_missing_file():
    with pytest.raises(ConfigError, match=r"nope.toml: 文件不存在 \(file not found\)"):
        load_hall("nope.toml")


def test_timezone_is_checked():
    err = broken('name = "测试中心"', 'name = "测试中心"\ntimezone = "Mars/Base"')
    assert (err.line, err.field) == (3, "hall.timezone") and "unknown time zone" in str(err)
    assert parse_hall(GOOD.replace('name = "测试中心"', 'name = "测试中心"\ntimezone = "Asia/Shanghai"')).hall.timezone
    for zone in ("Asia", "x" * 3000):  # tzdata's folder (IsADirectoryError), a name too long for a file (OSError)
        err = broken('name = "测试中心"', f'name = "测试中心"\ntimezone = "{zone}"')
        assert (err.line, err.field) == (3, "hall.timezone"), err
        assert str(err).endswith(f"没有时区 '{zone}'（请写时区名称，如 Asia/Shanghai） "
                                 f"(unknown time zone '{zone}' (use a name like Asia/Shanghai))"), err

"""Config checks of the [[boards]] section: errors name the file, line and field."""
from __future__ import annotations

import pytest

from config import ConfigError, DEMO_HALL, parse_hall


def demo_with_board(board_toml: str) -> str:
    text = DEMO_HALL.read_text(encoding="utf-8")
    start = text.index("[[boards]]")
    end = text.index("[kiosk]")
    return text[:start] + board_toml + "\n" + text[end:]


def test_demo_board_loads():
    cfg = parse_hall(demo_with_board('[[boards]]\nprotocol = "plain"\nurl = "/dev/ttyUSB2"\naddress = 7\nlines = 4\n'))
    assert cfg.boards[0].protocol == "plain" and cfg.boards[0].lines == 4


def test_series_defaults_to_6k_and_5k_is_accepted():
    cfg = parse_hall(demo_with_board('[[boards]]\nurl = "/dev/ttyUSB2"\n'))
    assert cfg.boards[0].series == "6K"
    cfg = parse_hall(demo_with_board('[[boards]]\nurl = "/dev/ttyUSB2"\nseries = "5K"\nwidth = 160\n'))
    assert cfg.boards[0].series == "5K"
    # a 6K card and a plain board take any width
    parse_hall(demo_with_board('[[boards]]\nurl = "/dev/ttyUSB2"\nwidth = 100\n'))
    parse_hall(demo_with_board('[[boards]]\nurl = "/dev/ttyUSB2"\nprotocol = "plain"\nseries = "5K"\nwidth = 100\n'))


@pytest.mark.parametrize("body, field, words", [
    ('protocol = "plain"\nurl = "/dev/ttyUSB2"\naddress = 300', "boards[0].address", "1-255"),
    ('url = "/dev/ttyUSB2"\nheight = 32\nlines = 5', "boards[0].lines", "do not fit"),
    ('url = "/dev/ttyUSB2"\nprotocol = "bx5"', "boards[0].protocol", ""),
    ('url = "/dev/ttyUSB2"\nseries = "6Q"', "boards[0].series", "5K"),
    ('url = "/dev/ttyUSB2"\nseries = "5K"\nwidth = 100', "boards[0].width", "not a multiple of 8"),
])
def test_bad_boards_are_named(body, field, words):
    text = demo_with_board("[[boards]]\n" + body + "\n")
    with pytest.raises(ConfigError) as e:
        parse_hall(text, "hall.toml")
    message = str(e.value)
    assert field in message and words in message
    assert "hall.toml:" in message

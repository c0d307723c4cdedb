"""The [printer] section: URLs and the QR template are checked when the hall file loads."""
from __future__ import annotations

import pytest

from config import ConfigError, parse_hall

from .test_config import GOOD


def hall_with(printer: str):
    return parse_hall(GOOD + "\n[printer]\n" + printer, "hall.toml")


@pytest.mark.parametrize("url", ["usb://0x0416:0x5011", "usb://0416:5011", "tcp://10.1.2.3:9100",
                                 "serial:///dev/ttyS0?baud=19200", "file:///dev/usb/lp0", "sim://kiosk1",
                                 "sim://kiosk1?status=paper_out", "/dev/ttyUSB0"])
def test_good_printer_urls(url):
    assert hall_with(f'url = "{url}"').printer.url == url


@pytest.mark.parametrize("url, words", [("lpt1", "usb://VID:PID, tcp://HOST:PORT"),
                                        ("usb://epson", "in hex"),
                                        ("http://printer", "a printer is")])
def test_bad_printer_url_names_the_field(url, words):
    with pytest.raises(ConfigError) as e:
        hall_with(f'url = "{url}"')
    assert e.value.field == "printer.url" and words in str(e.value)


def test_qr_template_fields():
    cfg = hall_with('qr = "https://x.gov.cn/q?d={day}&n={number}&id={ticket_id}"')
    assert "{ticket_id}" in cfg.printer.qr
    assert hall_with('qr = ""').printer.qr == ""
    with pytest.raises(ConfigError) as e:
        hall_with('qr = "https://x.gov.cn/{ticket}"')
    assert e.value.field == "printer.qr" and "{ticket_id}" in str(e.value)


@pytest.mark.parametrize("key, value", [("paper_mm", "76"), ("mode", '"pdf"'), ("encoding", '"utf-8"')])
def test_other_printer_keys_are_checked(key, value):
    with pytest.raises(ConfigError) as e:
        hall_with(f"{key} = {value}")
    assert e.value.field == f"printer.{key}"

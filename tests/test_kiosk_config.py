"""The [kiosk] section: PINs are digits (the PIN pad has nothing else) and distinct."""
from __future__ import annotations

import pytest

from config import ConfigError, parse_hall

from .test_config import GOOD


def hall_with(kiosk: str):
    return parse_hall(GOOD + "\n[kiosk]\n" + kiosk, "hall.toml")


def test_defaults_and_good_values():
    cfg = hall_with('confirm = true\npriority_rule = "pin"\npriority_pin = "7788"\ntechnician_pin = "24680"')
    assert cfg.kiosk.confirm and cfg.kiosk.priority_pin == "7788" and cfg.kiosk.technician_pin == "24680"
    assert hall_with("").kiosk.idle_seconds == 30


@pytest.mark.parametrize("key, value", [("priority_pin", "abcd"), ("technician_pin", "12"),
                                        ("technician_pin", "123456789"), ("priority_pin", "12 34")])
def test_pins_are_4_to_8_digits(key, value):
    with pytest.raises(ConfigError) as e:
        hall_with(f'{key} = "{value}"')
    assert e.value.field == f"kiosk.{key}" and "4 to 8 digits" in str(e.value)


def test_green_channel_pin_must_differ_from_the_technician_pin():
    with pytest.raises(ConfigError) as e:
        hall_with('priority_rule = "pin"\npriority_pin = "2580"\ntechnician_pin = "2580"')
    assert e.value.field == "kiosk.priority_pin" and "differ" in str(e.value)
    # with the open rule the staff PIN is never asked for, so equal PINs do no harm
    assert hall_with('priority_pin = "2580"').kiosk.priority_rule == "open"


@pytest.mark.parametrize("key, value", [("idle_seconds", "2"), ("done_seconds", "0"), ("language", '"fr"'),
                                        ("priority_rule", '"staff"')])
def test_other_kiosk_keys_are_checked(key, value):
    with pytest.raises(ConfigError) as e:
        hall_with(f"{key} = {value}")
    assert e.value.field == f"kiosk.{key}"

"""The [kiosk] section: PINs only as salted hashes (a plain PIN names the command that
replaces it), the green channel behind a staff PIN by default, and the other keys checked."""
from __future__ import annotations

import pytest

from config import ConfigError, parse_hall
from kiosk.pins import DEMO_PINS, config_warnings, hash_pin

from .test_config import GOOD

TECH = hash_pin("9753")
GREEN = hash_pin("8642")


def hall_with(kiosk: str):
    return parse_hall(GOOD + "\n[kiosk]\n" + kiosk, "hall.toml")


def test_defaults_and_good_values():
    cfg = hall_with(f'confirm = true\npriority_pin_hash = "{GREEN}"\ntechnician_pin_hash = "{TECH}"')
    k = cfg.kiosk
    assert k.confirm and k.priority_pin_hash == GREEN and k.technician_pin_hash == TECH
    d = hall_with("").kiosk
    assert (d.idle_seconds, d.priority_rule, d.technician_pin_hash, d.priority_pin_hash) == (30, "pin", "", "")
    assert (d.pin_attempts, d.pin_lockout_seconds, d.technician_menu_seconds) == (3, 30, 120)


@pytest.mark.parametrize("key, role", [("technician_pin", "technician"), ("priority_pin", "green")])
def test_a_plain_pin_is_refused_naming_the_command(key, role):
    with pytest.raises(ConfigError) as e:
        hall_with(f'confirm = true\n{key} = "2580"')
    assert e.value.field == f"kiosk.{key}" and e.value.line == 28
    assert f"`jiaohao pin set --role {role}`" in str(e.value) and "plain text" in str(e.value)


@pytest.mark.parametrize("value, words", [
    ("2580", "not a PIN hash"),
    ("scrypt$16384$8$1$c2FsdA==", "not a PIN hash"),
    ("scrypt$1024$8$1$c2FsdA==$aGFzaA==", "out of range"),  # too cheap to guess
    ("scrypt$16000$8$1$c2FsdA==$aGFzaA==", "out of range"),  # N not a power of 2
    ("scrypt$1073741824$8$1$c2FsdA==$aGFzaA==", "out of range"),  # a gigabyte per try
])
def test_a_pin_hash_has_the_shape_pin_set_writes(value, words):
    with pytest.raises(ConfigError) as e:
        hall_with(f'technician_pin_hash = "{value}"')
    assert e.value.field == "kiosk.technician_pin_hash" and words in str(e.value)


@pytest.mark.parametrize("key, value", [("idle_seconds", "2"), ("done_seconds", "0"), ("language", '"fr"'),
                                        ("priority_rule", '"staff"'), ("pin_attempts", "0"),
                                        ("pin_lockout_seconds", "1"), ("technician_menu_seconds", "5")])
def test_other_kiosk_keys_are_checked(key, value):
    with pytest.raises(ConfigError) as e:
        hall_with(f"{key} = {value}")
    assert e.value.field == f"kiosk.{key}"


def test_warnings_say_what_is_missing_and_which_command_sets_it():
    none = config_warnings(hall_with("").kiosk)
    assert any("no technician PIN" in w and "pin set --role technician" in w for w in none)
    assert any(w.startswith("kiosk: 没有设置技术人员密码，") and w.endswith("technician`)") for w in none), none
    assert any(w.startswith("kiosk: 绿色通道要工作人员密码，") for w in none), none
    assert any("green channel needs a staff PIN" in w and "pin set --role green" in w for w in none)
    assert config_warnings(hall_with(f'technician_pin_hash = "{TECH}"\npriority_pin_hash = "{GREEN}"').kiosk) == []
    open_rule = config_warnings(hall_with(f'technician_pin_hash = "{TECH}"\npriority_rule = "open"').kiosk)
    assert len(open_rule) == 1 and "anyone can take green-channel tickets" in open_rule[0]
    assert open_rule[0].startswith('kiosk: priority_rule = "open"：谁都能取绿色通道的票'), open_rule


def test_the_demo_hall_ships_its_published_pins_and_is_warned_about(demo_config):
    k = demo_config.kiosk
    assert k.priority_rule == "pin"  # the demo's green channel needs staff confirmation
    warnings = config_warnings(k)
    assert len(warnings) == 2
    for role, pin in DEMO_PINS.items():
        assert any(f"({pin})" in w and f"pin set --role {role}" in w for w in warnings)
        assert any(f"是演示大厅公开的那个（{pin}）" in w for w in warnings), warnings

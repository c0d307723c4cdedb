"""The kiosk's PINs as salted scrypt hashes (hall/passwords.py; no Qt).

A PIN is stored in the hall file as one string ``scrypt$N$r$p$salt$hash`` (salt and
hash in base64), written by ``jiaohao pin set``; the kiosk only ever compares a typed
PIN against it. Two PINs exist: the technician's (the technician menu, which can close
the kiosk) and the staff PIN of the green channel (priority tickets).
"""
from __future__ import annotations

import re

from hall.passwords import HASH_BYTES, N, P, R, SALT_BYTES, hash_secret, verify_secret  # noqa: F401

ROLES = {"technician": "technician_pin_hash", "green": "priority_pin_hash"}
ROLE_WORDS = {"technician": "technician PIN", "green": "green-channel staff PIN"}
ROLE_ZH = {"technician": "技术人员密码", "green": "绿色通道工作人员密码"}  # the words of the kiosk's PIN screen

# The demo hall's PINs, published in docs/demo.md: refused nowhere, warned about everywhere.
DEMO_PINS = {"technician": "2468", "green": "1357"}

# The PINs people choose most often (DataGenetics' analysis of 3.4 million PINs) and the
# technician PIN that earlier versions printed in their documentation.
COMMON_PINS = {"1234", "1111", "0000", "1212", "7777", "1004", "2000", "4444", "2222", "6969", "9999",
               "3333", "5555", "6666", "1122", "1313", "8888", "4321", "2001", "1010", "2580", "0852"}


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """``scrypt$16384$8$1$<salt>$<hash>`` for ``pin`` with a new random salt (hall/passwords.py)."""
    return hash_secret(pin, salt=salt)


def verify_pin(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the PIN of ``stored`` (a hash from :func:`hash_pin`); False for no hash."""
    return verify_secret(pin, stored)


def pin_problem(pin: str) -> str | None:
    """Why ``pin`` may not be used as a kiosk PIN ("中文 (English)"), or None."""
    if not re.fullmatch(r"\d{4,8}", pin):
        return "密码是 4 到 8 位数字，取号机的键盘只有数字 (a PIN is 4 to 8 digits (the kiosk's PIN pad has digits only))"
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:])}
    if len(set(pin)) == 1 or steps in ({1}, {-1}) or pin in COMMON_PINS:
        return f"{pin} 是别人最先会试的密码之一，请换一个 ({pin} is among the first PINs anyone tries; choose another)"
    return None


def demo_pin_roles(kiosk_cfg) -> list[str]:
    """The roles whose hash in this ``[kiosk]`` section is the demo hall's published PIN."""
    return [role for role, key in ROLES.items()
            if verify_pin(DEMO_PINS[role], getattr(kiosk_cfg, key))]


def config_warnings(kiosk_cfg) -> list[str]:
    """What `config check` says about the kiosk's PINs (nothing when all is well)."""
    out = []
    if not kiosk_cfg.technician_pin_hash:
        out.append("kiosk: 没有设置技术人员密码，技术员菜单打不开（照常出票）：运行 `jiaohao pin set --role technician` "
                   "(no technician PIN is set, so the technician menu cannot be opened (tickets are still issued): "
                   "run `jiaohao pin set --role technician`)")
    if kiosk_cfg.priority_rule == "pin" and not kiosk_cfg.priority_pin_hash:
        out.append("kiosk: 绿色通道要工作人员密码，但没有设置，所以绿色通道关着：运行 `jiaohao pin set --role green` "
                   "(the green channel needs a staff PIN and none is set, so it is off: "
                   "run `jiaohao pin set --role green`)")
    if kiosk_cfg.priority_rule == "open":
        out.append('kiosk: priority_rule = "open"：谁都能取绿色通道的票，超过每日上限也能取；除非工作人员守在取号机旁，'
                   '请用 "pin" (anyone can take green-channel tickets, also past a daily cap; use "pin" unless staff '
                   'stand at the kiosk)')
    for role in demo_pin_roles(kiosk_cfg):
        out.append(f"kiosk: {ROLE_ZH[role]} 是演示大厅公开的那个（{DEMO_PINS[role]}）：真正的大厅用这个文件前，"
                   f"运行 `jiaohao pin set --role {role}` (the {ROLE_WORDS[role]} is the demo hall's published one "
                   f"({DEMO_PINS[role]}): run `jiaohao pin set --role {role}` before a real hall uses this file)")
    return out

"""The wire budget of a poll (shared/protocols/window-bus.md, "Wire budget").

A character on the wire is a start bit, 8 data bits, a parity bit unless parity is
none, and 1 or 2 stop bits: 11 bits for 8E1 (the Modbus serial-line default) and 8N2,
10 for 8N1. A poll is an 8-byte request and an 11-byte reply, plus the 3.5-character
silence between frames and the device's turnaround. Above 19200 baud the spec fixes
the silence at 1.75 ms.
"""
from __future__ import annotations

POLL_REQUEST = 8
POLL_REPLY = 11
DEFAULT_TURNAROUND_S = 0.002
DEFAULT_BITS = 11  # 8E1
PARITIES = ("E", "O", "N")


def char_bits(parity: str = "E", stopbits: int = 1) -> int:
    """Bits of one character: start + 8 data + parity (unless ``"N"``) + stop bits."""
    if parity not in PARITIES:
        raise ValueError(f"parity {parity!r} is not one of E, O, N")
    if stopbits not in (1, 2):
        raise ValueError(f"stop bits {stopbits!r} is not 1 or 2")
    return 1 + 8 + (0 if parity == "N" else 1) + stopbits


def format_name(parity: str = "E", stopbits: int = 1) -> str:
    """``"8E1"``, ``"8N2"`` …"""
    return f"8{parity}{stopbits}"


def char_time(baud: int, bits: int = DEFAULT_BITS) -> float:
    return bits / baud


def frame_gap_s(baud: int, bits: int = DEFAULT_BITS) -> float:
    """The 3.5-character inter-frame silence; fixed at 1.75 ms above 19200 baud (Modbus spec)."""
    return 3.5 * char_time(baud, bits) if baud <= 19200 else 0.00175


def wire_s(nbytes: int, baud: int, bits: int = DEFAULT_BITS) -> float:
    return nbytes * char_time(baud, bits)


def poll_budget_s(baud: int, turnaround_s: float = DEFAULT_TURNAROUND_S, bits: int = DEFAULT_BITS) -> float:
    """Wire time of one event poll: request + reply + inter-frame gap + device turnaround."""
    return wire_s(POLL_REQUEST + POLL_REPLY, baud, bits) + frame_gap_s(baud, bits) + turnaround_s


def cycle_budget_s(devices: int, baud: int, turnaround_s: float = DEFAULT_TURNAROUND_S,
                   bits: int = DEFAULT_BITS) -> float:
    """Wire time of one poll of each of ``devices`` devices."""
    return devices * poll_budget_s(baud, turnaround_s, bits)


def bus_bits(bus_cfg) -> int:
    """Bits of a character on a configured ``[buses.NAME]`` (its parity and stop bits)."""
    return char_bits(getattr(bus_cfg, "parity", "E"), getattr(bus_cfg, "stopbits", 1))

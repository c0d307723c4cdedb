"""The wire budget of a poll (shared/protocols/window-bus.md, "Wire budget").

8N1 is 10 bits a byte. A poll is an 8-byte request and an 11-byte reply, plus the
3.5-character silence between frames and the device's turnaround.
"""
from __future__ import annotations

POLL_REQUEST = 8
POLL_REPLY = 11
DEFAULT_TURNAROUND_S = 0.002


def char_time(baud: int) -> float:
    return 10.0 / baud


def frame_gap_s(baud: int) -> float:
    """The 3.5-character inter-frame silence; fixed at 1.75 ms above 19200 baud (Modbus spec)."""
    return 3.5 * char_time(baud) if baud <= 19200 else 0.00175


def wire_s(nbytes: int, baud: int) -> float:
    return nbytes * char_time(baud)


def poll_budget_s(baud: int, turnaround_s: float = DEFAULT_TURNAROUND_S) -> float:
    """Wire time of one event poll: request + reply + inter-frame gap + device turnaround."""
    return wire_s(POLL_REQUEST + POLL_REPLY, baud) + frame_gap_s(baud) + turnaround_s


def cycle_budget_s(devices: int, baud: int, turnaround_s: float = DEFAULT_TURNAROUND_S) -> float:
    """Wire time of one poll of each of ``devices`` devices."""
    return devices * poll_budget_s(baud, turnaround_s)

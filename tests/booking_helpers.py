"""A hall with booking slots for the booking tests: the demo hall plus [[booking.slots]]."""
from __future__ import annotations

from pathlib import Path

from config import DEMO_HALL

BOOKING_TOML = """
[booking]
window_days = 5
cutoff_minutes = 60
grace_minutes = 15
late = "{late}"
no_show_limit = 2
no_show_days = 30
suspend_days = 10
per_ip_hour = {per_ip}
per_mobile_day = 5
lookups_per_ip_hour = {per_ip}
closed_days = {closed}

[[booking.slots]]
service = "A"
periods = ["09:00-12:00", "14:00-17:00"]
slot_minutes = 30
capacity = {capacity}

[[booking.slots]]
service = "C"
days = ["tue", "thu"]
periods = ["09:00-11:00"]
slot_minutes = 60
capacity = 2
"""

DEMO_BOOKING = "\n# -- booking (预约"  # where the demo hall's own [booking] begins (it is the file's last part)


def without_booking(text: str) -> str:
    """A hall file's text (the demo hall's, or one made from it) without the demo's own
    [booking] and [[booking.slots]] (the tests set theirs); what follows them is kept."""
    head, sep, rest = text.partition(DEMO_BOOKING)
    if not sep:
        return text
    lines = rest.split("\n")
    end = next((i for i, line in enumerate(lines[1:], 1)
                if line.startswith("[") and not line.startswith(("[booking", "[[booking"))), len(lines))
    tail = "\n".join(lines[end:])
    return head.rstrip("\n") + "\n" + ("\n" + tail if tail.strip() else "")


def demo_hall_without_booking() -> str:
    return without_booking(Path(DEMO_HALL).read_text(encoding="utf-8"))


def booking_hall_text(capacity: int = 3, late: str = "walk_in", per_ip: int = 1000, closed: str = "[]",
                      extra: str = "") -> str:
    return demo_hall_without_booking() + BOOKING_TOML.format(
        capacity=capacity, late=late, per_ip=per_ip, closed=closed) + extra


def booking_hall(tmp_path, **kw):
    from config import load_hall
    path = tmp_path / "hall.toml"
    path.write_text(booking_hall_text(**kw), encoding="utf-8")
    return path, load_hall(path)


def valid_id(n: int) -> str:
    """A made-up ID number with a correct check digit, distinct for each n."""
    body = f"110105199001{(n % 28) + 1:02d}{n // 28 % 1000:03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]

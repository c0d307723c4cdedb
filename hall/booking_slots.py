"""Slot arithmetic (号源) and the citizen's identity for appointments: pure functions of
the hall configuration and its working-day calendar, no database (docs/booking.md).

- Which days may be booked: the next ``[booking] window_days`` working days of the
  hall's calendar (China's holidays and make-up working days, ``[calendar]``
  overrides), without ``closed_days``; today too with ``same_day``.
- The slots of a service on a day: its weekly templates (``[[booking.slots]]``) for
  that weekday, each period cut into whole slots of ``slot_minutes``. A make-up working
  day (调休) on a Saturday or Sunday uses the slots of ``makeup_as`` (Monday).
- ID numbers (居民身份证号码, GB 11643 with its check digit) and mobile numbers are
  checked here; the ID number is kept only as a keyed hash and its last 4 characters.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud and typed by the elderly
CODE_LENGTH = 8  # 31**8 ≈ 8.5e11 codes: with the look-up rate limits, not enumerable
LOOKAHEAD_DAYS = 60  # a window of N working days never reaches further than this (Spring Festival)

_ID = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class Slot:
    """One bookable slot of a service: [start, end), ``capacity`` places."""

    service: str
    start: datetime
    end: datetime
    capacity: int

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def calendar_of(config):
    """The hall's working-day calendar (hall/workdays.py, ``[calendar]`` overrides)."""
    from .workdays import WorkCalendar
    return WorkCalendar.from_config(config)


def closed_days(config) -> set[str]:
    return set(config.booking.closed_days)


def is_booking_day(config, calendar, day: date) -> bool:
    return calendar.is_workday(day) and day.isoformat() not in closed_days(config)


def booking_days(config, calendar, today: date) -> list[date]:
    """The days that may be booked from ``today``: the next ``window_days`` working days
    (closed days are not working days of the hall), today first with ``same_day``."""
    b = config.booking
    days = [today] if b.same_day and is_booking_day(config, calendar, today) else []
    d, ahead = today, 0
    for _ in range(LOOKAHEAD_DAYS):
        if ahead >= b.window_days:
            break
        d += timedelta(days=1)
        if is_booking_day(config, calendar, d):
            days.append(d)
            ahead += 1
    return days


def weekday_of(calendar, day: date, makeup_as: str) -> str:
    """The template weekday of ``day``: its own, or ``makeup_as`` on a make-up working day."""
    if day.weekday() >= 5 and calendar.is_workday(day):
        return makeup_as
    return WEEKDAYS[day.weekday()]


def bookable_services(config) -> list[str]:
    """Service codes with a slot template, in the hall's order of services."""
    have = {t.service for t in config.booking.slots}
    return [s.code for s in config.services if s.code in have]


def slots_on(config, calendar, service: str, day: date) -> list[Slot]:
    """The slots of ``service`` on ``day`` by its templates (none on a holiday or closed day)."""
    if not is_booking_day(config, calendar, day):
        return []
    weekday = weekday_of(calendar, day, config.booking.makeup_as)
    out = []
    from config.views import parse_range
    for t in config.booking.slots:
        if t.service != service or weekday not in t.days:
            continue
        step = timedelta(minutes=t.slot_minutes)
        for text in t.periods:
            a, b = parse_range(text)
            start, end = datetime.combine(day, a), datetime.combine(day, b)
            while start + step <= end:  # whole slots only
                out.append(Slot(service, start, start + step, t.capacity))
                start += step
    return sorted(out, key=lambda s: s.start)


def slot_containing(config, calendar, service: str, when: datetime) -> Slot | None:
    """The template slot of ``service`` that ``when`` falls in (a CSV booking's slot), or None."""
    return next((s for s in slots_on(config, calendar, service, when.date()) if s.start <= when < s.end), None)


# -- the citizen ------------------------------------------------------------------------
def normalize_id(text: str) -> str:
    """An 18-character ID number in capitals, or ValueError saying what is wrong."""
    t = re.sub(r"\s", "", text or "").upper()
    if not _ID.match(t):
        raise ValueError("身份证号码应为18位（最后一位可以是X）|the ID number has 18 characters (the last may be X)")
    try:
        date(int(t[6:10]), int(t[10:12]), int(t[12:14]))
    except ValueError:
        raise ValueError("身份证号码中的出生日期不对|the date of birth in the ID number is not a date") from None
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(t[:17], _ID_WEIGHTS)) % 11]
    if t[17] != check:
        raise ValueError("身份证号码校验位不对，请核对|the ID number's check digit is wrong: please check it")
    return t


def looks_like_id(text: str) -> bool:
    return bool(_ID.match(re.sub(r"\s", "", text or "").upper()))


def normalize_mobile(text: str) -> str:
    t = re.sub(r"[\s-]", "", text or "")
    if t.startswith("+86"):
        t = t[3:]
    if not _MOBILE.match(t):
        raise ValueError("手机号码应为11位数字|the mobile number has 11 digits")
    return t


def id_hash(salt: bytes, id_number: str) -> str:
    """The keyed hash an ID number is stored as (HMAC-SHA256 with the hall's secret salt)."""
    return hmac.new(salt, id_number.encode(), hashlib.sha256).hexdigest()


def mask_mobile(mobile: str | None) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else ""


def mask_id(last4: str | None) -> str:
    return f"**************{last4}" if last4 else ""


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; Latin names keep their first letter."""
    name = (name or "").strip()
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def split_message(e: ValueError) -> tuple[str, str]:
    """(zh, en) of a ValueError raised above."""
    zh, _, en = str(e).partition("|")
    return zh, en or zh

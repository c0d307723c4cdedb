"""Appointments and the calendar, as a hall file configures them: ``[booking]`` with its
weekly slot templates (docs/booking.md) and ``[calendar]`` (working-day overrides).
Part of :mod:`config.schema`, which re-exports every name."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .invalid import Invalid
from .schema_base import ReferenceError_, Strict
from .views import parse_range


def _day(text: str, how: str, how_zh: str) -> None:
    """YYYY-MM-DD (not the compact 20270101 that date.fromisoformat also reads) in 2000-2099."""
    from datetime import date
    try:
        day = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid(f"{how}, not {text!r}", f"{how_zh}，不是 {text!r}")
    if not 2000 <= day.year <= 2099:
        raise Invalid(f"{text}: dates run from 2000-01-01 to 2099-12-31", f"{text}：日期须在 2000-01-01 至 2099-12-31 之间")


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class BookingSlots(Strict):
    """A weekly slot template (号源) of one service: on these weekdays, these periods cut
    into slots of ``slot_minutes``, each taking ``capacity`` bookings (docs/booking.md)."""

    service: str
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1)
    periods: list[str] = Field(min_length=1)  # e.g. ["09:00-12:00", "14:00-17:00"]
    slot_minutes: int = Field(30, ge=5, le=480)
    capacity: int = Field(ge=1, le=1000)

    @field_validator("periods")
    @classmethod
    def _periods_parse(cls, v: list[str]) -> list[str]:
        spans = sorted(parse_range(s) for s in v)
        for (_, end), (start, _) in zip(spans, spans[1:]):
            if start < end:
                raise Invalid("booking periods overlap", "预约时段有重叠")
        return v

    @model_validator(mode="after")
    def _a_slot_fits(self) -> "BookingSlots":
        for text in self.periods:
            start, end = parse_range(text)
            if (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute) < self.slot_minutes:
                raise ReferenceError_(("slot_minutes",), f"a slot of {self.slot_minutes} minutes does not fit in "
                                      f"the period {text.strip()}: that period would offer no booking",
                                      f"时段 {text.strip()} 放不下一个 {self.slot_minutes} 分钟的号：这个时段约不了")
        return self


class Booking(Strict):
    """Appointments (预约) booked by citizens on their phones or by staff at a window:
    which days may be booked, until when, what a late arrival gets, and the 爽约 rule."""

    window_days: int = Field(5, ge=1, le=30)  # the next N working days may be booked
    same_day: bool = False  # today may be booked too (until the cut-off)
    cutoff_minutes: int = Field(60, ge=0, le=2880)  # booking and cancelling close this long before a slot
    grace_minutes: int = Field(15, ge=0, le=240)  # check-in ahead of walk-ins until slot end + this
    late: Literal["walk_in", "expire"] = "walk_in"  # after that: a walk-in ticket, or refused
    closed_days: list[str] = Field(default_factory=list)  # "2026-12-24": no booking that day
    makeup_as: Weekday = "mon"  # a make-up working day (调休) on a weekend uses this weekday's slots
    no_show_limit: int = Field(3, ge=1, le=100)  # N no-shows ...
    no_show_days: int = Field(30, ge=1, le=366)  # ... within M days ...
    suspend_days: int = Field(30, ge=1, le=366)  # ... suspend booking for D days
    per_ip_hour: int = Field(20, ge=1, le=100_000)  # booking attempts per IP address per hour
    per_mobile_day: int = Field(5, ge=1, le=1000)  # booking attempts per mobile number per day
    lookups_per_ip_hour: int = Field(60, ge=1, le=100_000)  # look-ups and cancels per IP per hour
    slots: list[BookingSlots] = Field(default_factory=list)

    @field_validator("closed_days")
    @classmethod
    def _dates(cls, v: list[str]) -> list[str]:
        for text in v:
            _day(text.strip(), "a date is written like \"2026-12-24\"", "日期应写成 \"2026-12-24\" 这样")
        return [t.strip() for t in v]


class Calendar(Strict):
    """Overrides of China's working-day calendar (hall/workdays.py): a local holiday, a
    day the hall opens on a weekend, or a year the installed calendar does not know yet."""

    holidays: list[str] = Field(default_factory=list)  # "YYYY-MM-DD": closed although a working day
    workdays: list[str] = Field(default_factory=list)  # "YYYY-MM-DD": open although a weekend/holiday

    @field_validator("holidays", "workdays")
    @classmethod
    def _iso_dates(cls, v: list[str]) -> list[str]:
        for d in v:
            _day(d, "dates are written YYYY-MM-DD, e.g. \"2027-01-01\"", "日期写成 YYYY-MM-DD，如 \"2027-01-01\"")
        return v

    @model_validator(mode="after")
    def _not_both(self) -> "Calendar":
        both = sorted(set(self.holidays) & set(self.workdays))
        if both:
            raise ReferenceError_(("workdays",), f"{both[0]} is listed both as a holiday and as a working day",
                                  f"{both[0]} 既写成了假日又写成了工作日")
        return self

"""China's working days: statutory holidays and make-up working days (调休).

Deadlines for 差评 follow-ups and the booking window count working days, not calendar
days. The maintained ``chinese_calendar`` package knows each year's State Council notice
once it is published (it is updated every December); the hall's ``[calendar]`` section
overrides it (``holidays`` and ``workdays``: lists of "YYYY-MM-DD"), which is also how a
hall covers a year the installed package does not know yet. For such a year, without
overrides, Monday to Friday count as working days and :attr:`WorkCalendar.guessed_years`
says so (``jiaohao diag check`` reports it)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import chinese_calendar


class WorkCalendar:
    """Which days are working days, with the hall's own overrides first."""

    def __init__(self, holidays: Iterable[dt.date] = (), workdays: Iterable[dt.date] = ()):
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.guessed_years: set[int] = set()

    @classmethod
    def from_config(cls, config) -> "WorkCalendar":
        section = getattr(config, "calendar", None)
        if section is None:
            return cls()
        return cls((dt.date.fromisoformat(d) for d in section.holidays),
                   (dt.date.fromisoformat(d) for d in section.workdays))

    def is_workday(self, day: dt.date) -> bool:
        if isinstance(day, dt.datetime):
            day = day.date()
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:  # a year the installed package has no notice for
            self.guessed_years.add(day.year)
            return day.weekday() < 5

    def add_workdays(self, day: dt.date, n: int) -> dt.date:
        """The ``n``-th working day after ``day`` (``n`` ≥ 0; 0: ``day`` itself if it is a
        working day, else the next one). A deadline of "1 working day" from a 差评 given on
        Friday evening before a holiday week falls on the first working day after it."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        if n == 0:
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        while n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def next_workdays(self, day: dt.date, n: int, *, include_today: bool = False) -> list[dt.date]:
        """The next ``n`` working days after ``day`` (from ``day`` itself with include_today)."""
        out = []
        if include_today and self.is_workday(day):
            out.append(day)
        while len(out) < n:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                out.append(day)
        return out

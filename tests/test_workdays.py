"""China's working days (hall/workdays.py): statutory holidays, make-up working days and
the hall's overrides, on the 2026 National Day week whose answers are known."""
import datetime as dt

import pytest

from config import DEMO_HALL, load_hall
from config.loader import ConfigError
from hall.workdays import WorkCalendar

D = dt.date


def test_national_day_2026_is_a_holiday_and_its_makeup_saturday_a_workday():
    cal = WorkCalendar()
    assert not cal.is_workday(D(2026, 10, 1))  # 国庆节
    assert not cal.is_workday(D(2026, 10, 7))
    assert cal.is_workday(D(2026, 10, 10))     # Saturday, a make-up working day (调休上班)
    assert not cal.is_workday(D(2026, 10, 11))  # an ordinary Sunday


def test_add_workdays_skips_the_holiday_week():
    cal = WorkCalendar()
    # a 差评 on Wednesday 30 Sep 2026: one working day later is Thursday 8 Oct, not 1 Oct
    assert cal.add_workdays(D(2026, 9, 30), 1) == D(2026, 10, 8)
    assert cal.add_workdays(D(2026, 9, 30), 3) == D(2026, 10, 10)  # the make-up Saturday counts
    assert cal.add_workdays(D(2026, 10, 3), 0) == D(2026, 10, 8)
    assert cal.workdays_between(D(2026, 9, 30), D(2026, 10, 12)) == 4  # 8th, 9th, 10th, 12th


def test_overrides_win_and_unknown_years_are_guessed_and_said():
    cal = WorkCalendar(holidays=[D(2026, 10, 9)], workdays=[D(2026, 10, 11)])
    assert not cal.is_workday(D(2026, 10, 9))
    assert cal.is_workday(D(2026, 10, 11))
    assert cal.next_workdays(D(2026, 9, 30), 3) == [D(2026, 10, 8), D(2026, 10, 10), D(2026, 10, 11)]
    far = D(2099, 3, 2)  # a Monday in a year no calendar knows yet
    assert cal.is_workday(far) and 2099 in cal.guessed_years
    with pytest.raises(ValueError):
        cal.add_workdays(far, -1)


def test_calendar_section_of_the_hall_config(tmp_path):
    text = DEMO_HALL.read_text(encoding="utf-8") + '\n[calendar]\nholidays = ["2026-10-09"]\nworkdays = ["2026-10-11"]\n'
    path = tmp_path / "hall.toml"
    path.write_text(text, encoding="utf-8")
    cal = WorkCalendar.from_config(load_hall(path))
    assert not cal.is_workday(D(2026, 10, 9)) and cal.is_workday(D(2026, 10, 11))
    path.write_text(DEMO_HALL.read_text(encoding="utf-8") + '\n[calendar]\nholidays = ["10/09/2026"]\n', encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        load_hall(path)
    assert "calendar" in str(e.value) and "YYYY-MM-DD" in str(e.value) and "hall.toml" in str(e.value)

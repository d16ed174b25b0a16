"""Due dates in Hong Kong working days: weekends and Hong Kong's general holidays are skipped."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from safeshare import inquiries, workdays
from safeshare.inquiries import Priority
from safeshare.settings import get_settings


def hk(year: int, month: int, day: int, hour: int = 10) -> datetime:
    """A moment in Hong Kong time, as UTC (how it is stored)."""
    return datetime(year, month, day, hour, tzinfo=workdays.HKT).astimezone(timezone.utc)


@pytest.fixture()
def settings():
    return dataclasses.replace(
        get_settings(), staff_reply_days=2, staff_reply_days_high=1, staff_reply_days_urgent=0
    )


def test_the_calendar_is_hong_kongs():
    assert workdays.holiday_name(date(2025, 4, 18)) == "Good Friday"  # a general holiday
    assert workdays.holiday_name(date(2025, 1, 29))  # Chinese New Year, from the lunar calendar
    assert workdays.holiday_name(date(2025, 10, 7))  # the day following Mid-Autumn Festival
    assert workdays.holiday_name(date(2025, 4, 17)) is None
    assert not workdays.is_working_day(date(2025, 4, 19))  # Saturday
    assert workdays.is_working_day(date(2025, 4, 22))


def test_normal_inquiry_skips_a_weekend_and_an_hk_public_holiday(settings):
    # Friday 24 January 2025: the weekend, then Monday (1), Tuesday (2); Chinese New Year follows.
    assert inquiries.due_on(hk(2025, 1, 24), Priority.normal, settings) == date(2025, 1, 28)
    # Tuesday 28 January 2025 + 2: Chinese New Year (29, 30, 31 January) and the weekend skipped.
    assert inquiries.due_on(hk(2025, 1, 28), Priority.normal, settings) == date(2025, 2, 4)
    # Thursday 17 April 2025: Good Friday, the day following it, Sunday, Easter Monday skipped.
    assert inquiries.due_on(hk(2025, 4, 17), Priority.normal, settings) == date(2025, 4, 23)


def test_urgent_is_the_same_working_day(settings):
    assert inquiries.due_on(hk(2025, 4, 17), Priority.urgent, settings) == date(2025, 4, 17)
    # Made on Saturday: due on the first working day, Tuesday after Easter Monday.
    assert inquiries.due_on(hk(2025, 4, 19), Priority.urgent, settings) == date(2025, 4, 22)
    assert inquiries.due_on(hk(2025, 4, 17), Priority.high, settings) == date(2025, 4, 22)


def test_days_are_hong_kong_days(settings):
    # 23:30 on Friday in Hong Kong is still Friday there, though Saturday 00:30 is not yet in UTC.
    late_friday = hk(2025, 1, 24, 23).replace(minute=30)
    assert workdays.hk_date(late_friday) == date(2025, 1, 24)
    # 07:00 on Monday in Hong Kong is Sunday 23:00 in UTC: Monday counts.
    monday_morning = hk(2025, 1, 27, 7)
    assert monday_morning.date() == date(2025, 1, 26)
    assert inquiries.due_on(monday_morning, Priority.urgent, settings) == date(2025, 1, 27)
    assert workdays.hk_date(datetime(2025, 1, 26, 23, 0)) == date(2025, 1, 27)  # naive = UTC


def test_targets_come_from_the_settings(settings):
    slower = dataclasses.replace(settings, staff_reply_days=5)
    assert inquiries.reply_days(slower, "normal") == 5
    # Monday 14 April 2025: 15, 16, 17, (Easter) 22, 23
    assert inquiries.due_on(hk(2025, 4, 14), Priority.normal, slower) == date(2025, 4, 23)


def test_working_days_between():
    assert workdays.working_days_between(date(2025, 4, 17), date(2025, 4, 23)) == 2
    assert workdays.working_days_between(date(2025, 4, 23), date(2025, 4, 17)) == 0
    with pytest.raises(ValueError):
        workdays.add_working_days(date(2025, 4, 17), -1)

"""Hong Kong working days: Monday to Friday, except Hong Kong's general holidays.

The holidays come from the `holidays` package (maintained, pinned in constraints.txt), never from
a list written here: its Hong Kong calendar computes the lunar holidays (Chinese New Year, Tuen
Ng, Mid-Autumn, Chung Yeung), Easter, and the "day following" substitutes each year. Its `public`
category is the statutory holidays (Employment Ordinance, Cap. 57); `optional` adds the other
general holidays (General Holidays Ordinance, Cap. 149: Good Friday, the day following it, Easter
Monday...). Offices close on both, so both are non-working days. Saturdays are not working days.

Not covered: a day lost to a typhoon signal No. 8 or a black rainstorm (announced on the day).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

HKT = timezone(timedelta(hours=8), "HKT")  # Hong Kong has no daylight saving time
CATEGORIES = ("public", "optional")


@lru_cache(maxsize=64)
def holidays_in(year: int) -> dict[date, str]:
    """Hong Kong's general holidays of one year, date → English name."""
    import holidays  # imported on first use: building the calendar classes takes a moment

    calendar = holidays.country_holidays("HK", years=year, categories=CATEGORIES, language="en_HK")
    return dict(calendar.items())


def holiday_name(day: date) -> str | None:
    return holidays_in(day.year).get(day)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays_in(day.year)


def next_working_day(day: date) -> date:
    """`day` itself if it is a working day, else the first working day after it."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: date, days: int) -> date:
    """The working day `days` working days after `start`, counting from the first working day on
    or after `start` (an inquiry made on a Saturday with 0 days is due on Monday)."""
    if days < 0:
        raise ValueError("days must be 0 or more")
    day = next_working_day(start)
    for _ in range(days):
        day = next_working_day(day + timedelta(days=1))
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 if `end` is not after `start`)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        count += is_working_day(day)
    return count


def hk_date(moment: datetime) -> date:
    """The Hong Kong calendar day of a moment (naive datetimes are UTC, as SQLite returns them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(HKT).date()

"""ISO weeks: the calendar the figures are cut by (insights, orphan stats, streaks).

A week is named by its Monday; weeks that are over are counted in UTC.
"""

from datetime import UTC, date, datetime, timedelta

from common.errors import Invalid


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_label(monday: date) -> str:
    """The ISO name of the week, such as 2026-W07."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(value: str, field: str) -> date:
    """The Monday of an ISO week named like 2026-W07; Invalid on `field` otherwise."""
    try:
        year, week = int(value[:4]), int(value[6:])
        if value[4:6] != "-W" or not 2000 <= year <= 2999:
            return _bad(field)
        return date.fromisocalendar(year, week, 1)
    except ValueError:
        return _bad(field)


def _bad(field: str):
    raise Invalid("Use an ISO week such as 2026-W07.", code="invalid_week", field=field)


def finished_weeks(*, now: datetime, count: int) -> list[date]:
    """The Mondays of the last `count` ISO weeks that are over (UTC), oldest first."""
    this_monday = monday_of(now.astimezone(UTC).date())
    return [this_monday - timedelta(weeks=n) for n in range(count, 0, -1)]

"""Reads about people: their local calendar."""

import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User


def local_now(*, user: User, now: datetime | None = None) -> datetime:
    return (now or timezone.now()).astimezone(ZoneInfo(user.time_zone))


def local_today(*, user: User, now: datetime | None = None) -> date:
    return local_now(user=user, now=now).date()


def local_day_start(*, user: User, day: date) -> datetime:
    """The aware instant the person's local day begins (DST-safe: zoneinfo resolves the gap)."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(user.time_zone))


def seconds_until_local_midnight(*, user: User, now: datetime | None = None) -> int:
    here = local_now(user=user, now=now)
    tomorrow = local_day_start(user=user, day=here.date() + timedelta(days=1))
    # In UTC: within one zone, Python subtracts wall clocks and would miss a DST change.
    return max(1, math.ceil((tomorrow.astimezone(UTC) - here.astimezone(UTC)).total_seconds()))

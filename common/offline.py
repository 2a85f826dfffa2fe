"""Things done on a phone while offline keep the time they were done (`occurred_at`), within
bounds: not in the future (beyond a little clock drift), not more than OFFLINE_DAYS_MAX back."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from common.errors import Invalid

CLOCK_DRIFT = timedelta(minutes=5)


def occurred_at(value: datetime | None, *, field: str = "occurred_at") -> datetime:
    """When it happened: `value` if it is within bounds, now if not given."""
    now = timezone.now()
    if value is None:
        return now
    if value > now + CLOCK_DRIFT:
        raise Invalid("That is in the future.", code="occurred_in_future", field=field)
    if value < now - timedelta(days=settings.OFFLINE_DAYS_MAX):
        raise Invalid(
            f"More than {settings.OFFLINE_DAYS_MAX} days ago: too long offline.",
            code="occurred_too_long_ago",
            field=field,
        )
    return min(value, now)

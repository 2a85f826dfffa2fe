"""Counting rows for many people at once, each from their own moment (the start of their own
local day or week), in one query where one per person would do the same."""

from datetime import datetime

from django.db.models import QuerySet


def counted_since_each(rows: QuerySet, *, person: str, at: str, since: dict[int, datetime]) -> dict[int, int]:
    """How many of `rows` each person (by the `person` field) has at or after their own moment
    in `since` (by the `at` field). Reads the rows from the earliest of the moments: a batch's
    moments (the start of each person's day or week, when each nudge was planned) are mostly
    within a day of each other, so little is read only to be passed over."""
    counts = dict.fromkeys(since, 0)
    if not since:
        return counts
    earliest = min(since.values())
    for someone, moment in rows.filter(**{f"{person}__in": since, f"{at}__gte": earliest}).values_list(person, at):
        if moment >= since[someone]:
            counts[someone] += 1
    return counts

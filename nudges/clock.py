"""The clock: plans the kinds that go out at a local time (those with a schedule) for the
coming 36 hours, in everyone's own time zone. Safe to run often and from several workers at once.

Set-based: a few queries per (time zone, local time) group, never one per person. A local time
becomes an instant through zoneinfo, and a dedupe key holds one nudge per person and period, so
a DST change neither skips nor doubles a day.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, Expression, OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from nudges.kinds import KINDS
from nudges.kinds.base import NudgeKind
from nudges.models import Nudge
from nudges.planning import nudges_insert

HORIZON = timedelta(hours=36)
# A planned nudge whose time passed longer ago than this (the planner was down) is not sent late.
PLANNING_GRACE = timedelta(hours=1)


@transaction.atomic
def nudges_plan(*, now: datetime | None = None) -> int:
    """Plan every scheduled kind; returns how many nudges were offered to the plan."""
    now = now or timezone.now()
    planned = 0
    for kind in KINDS.values():
        if kind.schedule is not None:
            people = kind.schedule.who(_people(preference=kind.preference, at=kind.schedule.at), now)
            planned += _plan_for_groups(kind=kind, people=people, now=now)
    return planned


def _people(*, preference: str, at: Expression) -> QuerySet[User]:
    """Active people who have not turned this kind off, with the local time it goes out."""
    return (
        User.objects.filter(is_active=True, organisation__isnull=False)
        .annotate(enabled=Coalesce(f"nudge_preferences__{preference}", True), at=at)
        .filter(enabled=True)
    )


def _plan_for_groups(*, kind: NudgeKind, people: QuerySet[User], now: datetime) -> int:
    planned = 0
    for zone_name, at in people.values_list("time_zone", "at").distinct():
        zone = ZoneInfo(zone_name)
        for day in kind.schedule.days(now.astimezone(zone).date()):
            due = _local_instant(day, at, zone)
            if not now - PLANNING_GRACE <= due <= now + HORIZON:
                continue
            already = Nudge.objects.filter(user=OuterRef("pk"), kind=kind.name, planned_for=day)
            user_ids = people.filter(time_zone=zone_name, at=at).exclude(Exists(already)).values_list("pk", flat=True)
            period = kind.schedule.period(day)
            nudges = [
                Nudge(
                    user_id=uid, kind=kind.name, dedupe_key=f"{kind.name}:{uid}:{period}", planned_for=day, due_at=due
                )
                for uid in user_ids.iterator(chunk_size=2000)
            ]
            nudges_insert(nudges=nudges)
            planned += len(nudges)
    return planned


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # zoneinfo resolves a wall time that DST skips or repeats; the dedupe key holds one per day.
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))

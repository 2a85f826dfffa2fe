"""Reads about orphans, always through team membership."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from common.errors import NotFound
from common.weeks import monday_of, week_label
from orphans.models import Orphan
from teams.selectors import require_member


def orphans_for_team(*, user: User, team_id: int, status: str | None = None) -> QuerySet[Orphan]:
    require_member(user=user, team_id=team_id)
    orphans = Orphan.objects.filter(team_id=team_id).select_related("posted_by", "claimed_by")
    return orphans.filter(status=status) if status else orphans


def orphan_for_member(*, user: User, orphan_id: int) -> Orphan:
    orphan = (
        Orphan.objects.filter(pk=orphan_id, team__memberships__user=user)
        .select_related("posted_by", "claimed_by", "team")
        .first()
    )
    if orphan is None:
        raise NotFound("No such orphan in your teams.", code="orphan_not_found")
    return orphan


@dataclass(frozen=True)
class WeekFigures:
    week: str
    starts_on: date
    posted: int
    claimed: int
    done: int
    median_minutes_to_claim: float | None


def _monday(moment: datetime) -> date:
    return monday_of(moment.date())


def orphan_stats(*, user: User, team_id: int, weeks: int = 12, now: datetime | None = None) -> list[WeekFigures]:
    """Per ISO week (UTC), oldest first: orphans posted, first claimed and done, and the median
    time from posting to first claim. Counts only: no names."""
    require_member(user=user, team_id=team_id)
    now = now or timezone.now()
    first_monday = _monday(now) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, datetime.min.time(), tzinfo=now.tzinfo)
    rows = (
        Orphan.objects.filter(team_id=team_id)
        .filter(Q(created_at__gte=since) | Q(first_claimed_at__gte=since) | Q(done_at__gte=since))
        .values_list("created_at", "first_claimed_at", "done_at")
    )
    mondays = [first_monday + timedelta(weeks=n) for n in range(weeks)]
    posted = dict.fromkeys(mondays, 0)
    claimed = dict.fromkeys(mondays, 0)
    done = dict.fromkeys(mondays, 0)
    waits: dict[date, list[float]] = {monday: [] for monday in mondays}
    for created_at, first_claimed_at, done_at in rows:
        if created_at >= since:
            posted[_monday(created_at)] += 1
        if first_claimed_at and first_claimed_at >= since:
            claimed[_monday(first_claimed_at)] += 1
            waits[_monday(first_claimed_at)].append((first_claimed_at - created_at).total_seconds() / 60)
        if done_at and done_at >= since:
            done[_monday(done_at)] += 1
    return [
        WeekFigures(
            week=week_label(monday),
            starts_on=monday,
            posted=posted[monday],
            claimed=claimed[monday],
            done=done[monday],
            median_minutes_to_claim=round(statistics.median(waits[monday]), 1) if waits[monday] else None,
        )
        for monday in mondays
    ]


def orphan_is_claimed(*, orphan_id: int) -> bool:
    return Orphan.objects.filter(pk=orphan_id, status=Orphan.Status.CLAIMED).exists()


def claim_is_quiet(*, orphan_id: int, claimant: User, since: datetime) -> bool:
    """Whether the claimant still holds the orphan and nothing has happened to it since `since`."""
    return Orphan.objects.filter(
        pk=orphan_id, status=Orphan.Status.CLAIMED, claimed_by=claimant, last_activity_at__lte=since
    ).exists()


def orphan_is_open(*, orphan_id: int) -> bool:
    return Orphan.objects.filter(pk=orphan_id, status=Orphan.Status.OPEN).exists()


def claims_to_check_back(*, user: User, day: date) -> list[str]:
    """The titles of what this person claimed and said they would check back on that day."""
    return list(
        Orphan.objects.filter(claimed_by=user, status=Orphan.Status.CLAIMED, check_back_on=day)
        .order_by("pk")
        .values_list("title", flat=True)
    )


def claimants_checking_back(*, first: date, last: date) -> QuerySet:
    """Ids of people holding a claim they said they would check back on between these days."""
    return Orphan.objects.filter(status=Orphan.Status.CLAIMED, check_back_on__range=(first, last)).values(
        "claimed_by_id"
    )

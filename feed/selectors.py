"""A team's feed: the good behaviour worth copying, newest first.

Two kinds of item, merged by time: team-visible acknowledgements sent or received by the team's
members, and "leave it with me" moments (an orphan posted, claimed, done). Pages are cut by a
position (time, kind, id), so each page costs the same few queries however far back it is.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from acknowledgements.selectors import team_feed_acknowledgements
from orphans.models import Activity
from teams.selectors import require_member

ACKNOWLEDGEMENT, ORPHAN = 0, 1  # ties at the same instant: orphan moments first
FEED_ACTIVITIES = (Activity.Kind.POSTED, Activity.Kind.CLAIMED, Activity.Kind.DONE)


@dataclass(frozen=True)
class Position:
    at: datetime
    source: int
    id: int


@dataclass(frozen=True)
class FeedItem:
    position: Position
    type: str
    acknowledgement: object = None
    activity: Activity | None = None


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: Position | None


def _before(items: QuerySet, source: int, position: Position | None) -> QuerySet:
    if position is None:
        return items
    same_instant = Q(created_at=position.at) & (Q(pk__lt=position.id) if source == position.source else Q())
    if source > position.source:
        same_instant = Q(pk__in=[])  # this source sorts before the position at that instant
    return items.filter(Q(created_at__lt=position.at) | same_instant)


def feed_for_team(*, user: User, team_id: int, before: Position | None = None, limit: int = 20) -> FeedPage:
    require_member(user=user, team_id=team_id)
    acknowledgements = _before(
        team_feed_acknowledgements(team_id=team_id, organisation_id=user.organisation_id), ACKNOWLEDGEMENT, before
    )
    activities = _before(
        Activity.objects.filter(orphan__team_id=team_id, kind__in=FEED_ACTIVITIES).select_related(
            "actor", "orphan__posted_by", "orphan__claimed_by"
        ),
        ORPHAN,
        before,
    )
    items = [
        FeedItem(Position(a.created_at, ACKNOWLEDGEMENT, a.pk), "acknowledgement", acknowledgement=a)
        for a in acknowledgements.order_by("-created_at", "-pk")[: limit + 1]
    ] + [
        FeedItem(Position(a.created_at, ORPHAN, a.pk), f"orphan.{a.kind}", activity=a)
        for a in activities.order_by("-created_at", "-pk")[: limit + 1]
    ]
    items.sort(key=lambda item: (item.position.at, item.position.source, item.position.id), reverse=True)
    page = items[:limit]
    return FeedPage(items=page, next=page[-1].position if len(items) > limit else None)

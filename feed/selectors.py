"""A team's feed: the good behaviour worth copying, newest first.

Kinds of item, merged by time: team-visible acknowledgements sent or received by the team's
members, "leave it with me" moments (an orphan posted, claimed, done), the team's
agreements adopted, and commitments kept. Pages are cut by a position (time, kind, id), so each page costs the same
few queries however far back it is.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from accounts.models import User
from acknowledgements.selectors import team_feed_acknowledgements
from agreements.models import Version
from agreements.selectors import adopted_versions_in_feed
from commitments.models import Commitment
from commitments.selectors import kept_commitments_in_feed
from orphans.models import Activity
from teams.selectors import require_member

# Ties at the same instant: the higher source first.
ACKNOWLEDGEMENT, ORPHAN, AGREEMENT, COMMITMENT = 0, 1, 2, 3
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
    version: Version | None = None
    commitment: Commitment | None = None


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next: Position | None


def _before(items: QuerySet, source: int, position: Position | None, at: str = "created_at") -> QuerySet:
    if position is None:
        return items
    same_instant = Q(**{at: position.at}) & (Q(pk__lt=position.id) if source == position.source else Q())
    if source > position.source:
        same_instant = Q(pk__in=[])  # this source sorts before the position at that instant
    return items.filter(Q(**{f"{at}__lt": position.at}) | same_instant)


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
    adoptions = _before(adopted_versions_in_feed(team_id=team_id), AGREEMENT, before, at="adopted_at")
    kept = _before(kept_commitments_in_feed(team_id=team_id), COMMITMENT, before, at="done_at")
    items = (
        [
            FeedItem(Position(a.created_at, ACKNOWLEDGEMENT, a.pk), "acknowledgement", acknowledgement=a)
            for a in acknowledgements.order_by("-created_at", "-pk")[: limit + 1]
        ]
        + [
            FeedItem(Position(a.created_at, ORPHAN, a.pk), f"orphan.{a.kind}", activity=a)
            for a in activities.order_by("-created_at", "-pk")[: limit + 1]
        ]
        + [
            FeedItem(Position(v.adopted_at, AGREEMENT, v.pk), "agreement.adopted", version=v)
            for v in adoptions.order_by("-adopted_at", "-pk")[: limit + 1]
        ]
        + [
            FeedItem(Position(c.done_at, COMMITMENT, c.pk), "commitment.done", commitment=c)
            for c in kept.order_by("-done_at", "-pk")[: limit + 1]
        ]
    )
    items.sort(key=lambda item: (item.position.at, item.position.source, item.position.id), reverse=True)
    page = items[:limit]
    return FeedPage(items=page, next=page[-1].position if len(items) > limit else None)

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
from acknowledgements.selectors import acknowledgements_shown, team_feed_acknowledgements
from agreements.models import Version
from agreements.selectors import adopted_versions_in_feed
from commitments.models import Commitment
from commitments.selectors import kept_commitments_in_feed
from orphans.models import Activity
from teams.selectors import member_of_team, require_member

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


def _beyond(items: QuerySet, source: int, position: Position | None, at: str, *, newer: bool) -> QuerySet:
    """The items of one source on the far side of `position`: before it (older) or after it
    (newer), ties at one instant ordered by source, then id."""
    if position is None:
        return items
    side = "gt" if newer else "lt"
    if source == position.source:
        same_instant = Q(**{f"pk__{side}": position.id})
    elif (source > position.source) == newer:
        same_instant = Q()  # this whole source is beyond the position at that instant
    else:
        same_instant = Q(pk__in=[])
    return items.filter(Q(**{f"{at}__{side}": position.at}) | (Q(**{at: position.at}) & same_instant))


def _sources(*, team_id: int, organisation_id: int) -> list[tuple[int, QuerySet, str]]:
    """Each source of the feed: its items and the field that dates them."""
    activities = Activity.objects.filter(orphan__team_id=team_id, kind__in=FEED_ACTIVITIES).select_related(
        "actor", "orphan__posted_by", "orphan__claimed_by"
    )
    return [
        (ACKNOWLEDGEMENT, team_feed_acknowledgements(team_id=team_id, organisation_id=organisation_id), "created_at"),
        (ORPHAN, activities, "created_at"),
        (AGREEMENT, adopted_versions_in_feed(team_id=team_id), "adopted_at"),
        (COMMITMENT, kept_commitments_in_feed(team_id=team_id), "done_at"),
    ]


def _item(source: int, row, at: str) -> FeedItem:
    position = Position(getattr(row, at), source, row.pk)
    if source == ACKNOWLEDGEMENT:
        return FeedItem(position, "acknowledgement", acknowledgement=row)
    if source == ORPHAN:
        return FeedItem(position, f"orphan.{row.kind}", activity=row)
    if source == AGREEMENT:
        return FeedItem(position, "agreement.adopted", version=row)
    return FeedItem(position, "commitment.done", commitment=row)


def _sort_key(item: FeedItem) -> tuple:
    return (item.position.at, item.position.source, item.position.id)


def feed_for_team(*, user: User, team_id: int, before: Position | None = None, limit: int = 20) -> FeedPage:
    # Each source's query carries the membership check (asked once per query), so a feed with
    # anything on it costs no query of its own for it; only an empty page asks separately
    # whether it is empty or not the person's to see.
    member = member_of_team(user=user, team_id=team_id)
    items = []
    for source, rows, at in _sources(team_id=team_id, organisation_id=user.organisation_id):
        newest = _beyond(rows, source, before, at, newer=False).filter(member).order_by(f"-{at}", "-pk")[: limit + 1]
        if source == ACKNOWLEDGEMENT:
            newest = acknowledgements_shown(page=newest, viewer=user)
        items.extend(_item(source, row, at) for row in newest)
    if not items:
        require_member(user=user, team_id=team_id)
    items.sort(key=_sort_key, reverse=True)
    page = items[:limit]
    return FeedPage(items=page, next=page[-1].position if len(items) > limit else None)


def feed_since(
    *, team_id: int, organisation_id: int, after: Position | None, until: datetime, limit: int
) -> list[FeedItem]:
    """What came onto the team's feed after `after`, up to `until`, oldest first: at most
    `limit` items, each source read once, for whoever carries the feed elsewhere (a team's chat
    channel) and keeps its own place in it."""
    items = [
        _item(source, row, at)
        for source, rows, at in _sources(team_id=team_id, organisation_id=organisation_id)
        for row in _beyond(rows, source, after, at, newer=True)
        .filter(**{f"{at}__lte": until})
        .order_by(at, "pk")[:limit]
    ]
    items.sort(key=_sort_key)
    return items[:limit]

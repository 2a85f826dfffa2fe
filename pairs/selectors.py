"""Reads of pairs. A pair is reached only by its two people: anyone else (a lead, a coach,
another organisation, staff) gets "no such pair", so the answers, which only pairs.frames ever
shows, cannot reach them. Figures for others (pairs_completed_between) carry who and when,
never what was said."""

import hashlib
from datetime import UTC, date, datetime

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from common.errors import NotFound
from exercises.models import Step
from group_sessions.selectors import alive_connections
from pairs.models import Pair, PairAnswer, PairConnection
from teams.models import Membership


def open_invitations(*, now: datetime | None = None) -> Q:
    """Invitations waiting for an answer: expiry is computed here, so an expired invitation is
    never read as open, whether or not anything has swept it."""
    return Q(status=Pair.Status.INVITED, expires_at__gt=now or timezone.now())


def pairs_for_person(*, user: User) -> QuerySet[Pair]:
    """Every pair this person is one of, as they list them (no answers: those are per pair)."""
    return (
        Pair.objects.filter(Q(inviter=user) | Q(partner=user))
        .select_related("inviter", "partner", "exercise")
        .order_by("-pk")
    )


def pair_for_person(*, user: User, pair_id: int) -> Pair:
    """One of this person's pairs with all it shows: its exercise's steps and its answers."""
    pair = (
        pairs_for_person(user=user)
        .filter(pk=pair_id)
        .prefetch_related(
            Prefetch("exercise__steps", queryset=Step.objects.order_by("position")),
            Prefetch("answers", queryset=PairAnswer.objects.order_by("step", "author_id")),
        )
        .first()
    )
    if pair is None:
        raise NotFound("No such pair of yours.", code="pair_not_found")
    return pair


def require_pair_member(*, user: User, pair_id: int) -> None:
    if not Pair.objects.filter(Q(inviter=user) | Q(partner=user), pk=pair_id).exists():
        raise NotFound("No such pair of yours.", code="pair_not_found")


def pair_is_open(*, pair_id: int) -> bool:
    return Pair.objects.filter(open_invitations(), pk=pair_id).exists()


def present_user_ids(*, pair_id: int, now: datetime | None = None) -> list[int]:
    alive = PairConnection.objects.filter(alive_connections(now=now), pair_id=pair_id)
    return sorted(set(alive.values_list("user_id", flat=True)))


def pairs_completed_between(*, start: datetime, end: datetime) -> list[tuple[int, int, datetime]]:
    """(first person id, second person id, completed_at) of every pair completed in [start, end),
    the lower id first: for figures about who practised with whom, never what they said."""
    rows = Pair.objects.filter(status=Pair.Status.COMPLETED, completed_at__gte=start, completed_at__lt=end).values_list(
        "inviter_id", "partner_id", "completed_at"
    )
    return [(min(a, b), max(a, b), at) for a, b, at in rows.order_by("completed_at", "pk")]


def last_paired_at(*, user: User, candidate_ids: list[int]) -> dict[int, datetime]:
    """When this person last did a pair exercise (accepted or completed) with each candidate;
    absent: never. One query."""
    done = (Pair.Status.ACCEPTED, Pair.Status.COMPLETED)
    rows = Pair.objects.filter(
        Q(inviter=user, partner_id__in=candidate_ids) | Q(partner=user, inviter_id__in=candidate_ids), status__in=done
    ).values_list("inviter_id", "partner_id", "created_at")
    last: dict[int, datetime] = {}
    for inviter_id, partner_id, at in rows:
        other = partner_id if inviter_id == user.pk else inviter_id
        last[other] = max(at, last.get(other, at))
    return last


def partner_suggestion(*, user: User, day: date) -> User | None:
    """A colleague to do today's pair exercise with, so that over weeks trust spreads across the
    team instead of staying with the same friend: someone never paired with first, then whoever
    was paired with longest ago; among equals a teammate first, then a stable per-person,
    per-day shuffle. Candidates are teammates and, when both have opted in
    (`pairs_across_teams`), people of the teams their team works with. Never someone who turned
    pair invitations off (their `pair_invited` nudge preference). Two queries."""
    teammate = Q(memberships__team__memberships__user=user)
    reachable = teammate
    if user.pairs_across_teams:
        reachable |= Q(pairs_across_teams=True, memberships__team__works_with__memberships__user=user)
    candidates = list(
        User.objects.filter(reachable, is_active=True)
        .exclude(pk=user.pk)
        .exclude(nudge_preferences__pair_invited=False)
        .annotate(is_teammate=Exists(Membership.objects.filter(user=OuterRef("pk"), team__memberships__user=user)))
        .distinct()
        .only("pk", "display_name")
    )
    last = last_paired_at(user=user, candidate_ids=[person.pk for person in candidates])
    never = datetime.min.replace(tzinfo=UTC)

    def shuffle(person: User) -> str:
        return hashlib.sha256(f"{user.pk}:{day}:{person.pk}".encode()).hexdigest()

    return min(
        candidates,
        key=lambda person: (last.get(person.pk, never), not person.is_teammate, shuffle(person)),
        default=None,
    )

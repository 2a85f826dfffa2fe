"""Reads of live group sessions: a session as its team's members may reach it, and who is
there. What they are shown of it is built in group_sessions.frames."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import User
from common.errors import NotFound
from exercises.models import Step
from group_sessions.models import Connection, GroupSession
from teams.models import Membership

ROUND_KINDS = (Step.Kind.SHARE, Step.Kind.CHECKIN)


def session_for_member(*, user: User, session_id: int) -> GroupSession:
    session = (
        GroupSession.objects.filter(pk=session_id, team__memberships__user=user)
        .select_related("exercise", "facilitator")
        .prefetch_related(Prefetch("exercise__steps", queryset=Step.objects.order_by("position")))
        .first()
    )
    if session is None:
        raise NotFound("No such session in your teams.", code="session_not_found")
    return session


def require_session_member(*, user: User, session_id: int) -> None:
    if not Membership.objects.filter(team__group_sessions__pk=session_id, user=user).exists():
        raise NotFound("No such session in your teams.", code="session_not_found")


def alive_connections(*, now: datetime | None = None) -> Q:
    """The connections that make their person present, in any room (pairs' rooms too): seen
    within the stale window and not closed, or closed less than the grace period ago."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PRESENCE_STALE_SECONDS)
    grace = now - timedelta(seconds=settings.PRESENCE_GRACE_SECONDS)
    return Q(closed_at=None, last_seen_at__gte=stale) | Q(closed_at__gte=grace)


def present_user_ids(*, session_id: int, now: datetime | None = None) -> list[int]:
    alive = alive_connections(now=now)
    return sorted(set(Connection.objects.filter(session_id=session_id).filter(alive).values_list("user_id", flat=True)))


def participant_ids(*, session_id: int) -> list[int]:
    return sorted(set(Connection.objects.filter(session_id=session_id).values_list("user_id", flat=True)))


def session_is_live(*, session_id: int) -> bool:
    return GroupSession.objects.filter(pk=session_id).exclude(phase=GroupSession.Phase.ENDED).exists()

"""Reads of live group sessions: a session as its team's members may reach it, and who is
there. What they are shown of it is built in group_sessions.frames."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from accounts.models import User
from agreements.models import Version
from commitments.models import Commitment
from common.errors import NotFound
from exercises.models import Step
from group_sessions.models import Connection, GroupSession, Share
from orphans.models import Orphan
from teams.models import Membership, Team
from teams.selectors import require_member

ROUND_KINDS = (Step.Kind.SHARE, Step.Kind.CHECKIN)


def session_for_member(*, user: User, session_id: int) -> GroupSession:
    session = (
        GroupSession.objects.filter(pk=session_id, team__memberships__user=user)
        .select_related("exercise", "facilitator", "series")
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
    return GroupSession.objects.filter(pk=session_id, phase__in=GroupSession.LIVE_PHASES).exists()


def sessions_for_team(*, user: User, team_id: int, upcoming: bool) -> QuerySet[GroupSession]:
    """The team's sessions for one of its members: those still to come (scheduled), or those
    held (open now or over). Cancelled and missed occurrences are in neither: they did not
    happen, and the calendar already shows them gone. Ordered by the paginator."""
    require_member(user=user, team_id=team_id)
    phases = [GroupSession.Phase.SCHEDULED] if upcoming else [*GroupSession.LIVE_PHASES, GroupSession.Phase.ENDED]
    return GroupSession.objects.filter(team_id=team_id, phase__in=phases).select_related(
        "exercise", "facilitator", "series"
    )


def sessions_opened(
    *, team_id: int, after: tuple[datetime, int] | None, until: datetime, limit: int
) -> list[GroupSession]:
    """The team's sessions that went live after `after` (an opening time and id) and by
    `until`, earliest first, with their exercise and who started them. A session's created_at
    is when it opened: when it was started, or when the worker opened it at its scheduled time."""
    held = GroupSession.objects.filter(team_id=team_id, phase__in=[*GroupSession.LIVE_PHASES, GroupSession.Phase.ENDED])
    if after is not None:
        at, session_id = after
        held = held.filter(Q(created_at__gt=at) | Q(created_at=at, pk__gt=session_id))
    return list(
        held.filter(created_at__lte=until).select_related("exercise", "started_by").order_by("created_at", "pk")[:limit]
    )


def session_outcomes(*, session_ids: list[int]) -> dict[int, dict[str, int]]:
    """What each session produced so far, by session id, one query per kind of thing: answers
    given, agreement versions adopted in it, commitments made and orphans created from its
    shares. A new kind of outcome is one more entry here."""
    made = {
        "answers": Share.objects.all(),
        "agreements_adopted": Version.objects.exclude(adopted_at=None),
        "commitments_made": Commitment.objects.all(),
        "orphans_created": Orphan.objects.all(),
    }
    counts = {
        name: dict(
            rows.filter(session_id__in=session_ids)
            .values("session_id")
            .annotate(n=Count("pk"))
            .values_list("session_id", "n")
        )
        for name, rows in made.items()
    }
    return {session_id: {name: counts[name].get(session_id, 0) for name in made} for session_id in session_ids}


def sessions_taken_part_in(*, user: User, session_ids: list[int]) -> set[int]:
    return set(Connection.objects.filter(session_id__in=session_ids, user=user).values_list("session_id", flat=True))


def facilitator_rota(*, user: User, team_id: int) -> list[Membership]:
    """Who might facilitate the team's next session, in the order the app suggests them.

    Everyone who may facilitate (every member when the team shares facilitation, else its
    leads), with `last_facilitated_at` (the latest session of this team they facilitated, as
    it stood when it ended) and `has_taken_part` annotated. The order: people who have been in
    at least one of the team's sessions come first, as they know how one goes, the one who
    facilitated least recently (never, first of all) at the head; people who never joined one
    follow, so nobody is asked to lead before they have seen it done. Ties go by name."""
    team = Team.objects.filter(pk=team_id, memberships__user=user).first()
    if team is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    held = GroupSession.objects.filter(team_id=team_id, phase__in=[*GroupSession.LIVE_PHASES, GroupSession.Phase.ENDED])
    last_facilitated = held.filter(facilitator=OuterRef("user_id")).order_by("-created_at").values("created_at")[:1]
    candidates = Membership.objects.filter(team_id=team_id)
    if not team.members_facilitate:
        candidates = candidates.filter(role=Membership.Role.LEAD)
    return list(
        candidates.select_related("user")
        .annotate(
            last_facilitated_at=Subquery(last_facilitated),
            has_taken_part=Exists(Connection.objects.filter(session__team_id=team_id, user=OuterRef("user_id"))),
        )
        .order_by(
            F("has_taken_part").desc(),
            F("last_facilitated_at").asc(nulls_first=True),
            "user__display_name",
            "user_id",
        )
    )


# What the leads' "team quiet" nudge needs: teams older than `since` that held no session since.
# Held means opened (a live or ended session, when it opened: its scheduled time, or when it was
# started at once); a session only scheduled, cancelled or missed was not held.


def _quiet_teams(since: datetime) -> QuerySet:
    held = GroupSession.objects.filter(
        Q(starts_at__gte=since) | Q(starts_at=None, created_at__gte=since),
        team=OuterRef("pk"),
        phase__in=[*GroupSession.LIVE_PHASES, GroupSession.Phase.ENDED],
    )
    return Team.objects.filter(created_at__lt=since, archived_at=None).exclude(Exists(held))


def leads_of_quiet_teams(*, since: datetime) -> QuerySet:
    """Ids of the leads of quiet teams."""
    return Membership.objects.filter(role=Membership.Role.LEAD, team__in=_quiet_teams(since)).values("user_id")


def quiet_teams_led_by(*, user: User, since: datetime) -> list[str]:
    """The names of the quiet teams this person leads."""
    led = _quiet_teams(since).filter(memberships__user=user, memberships__role=Membership.Role.LEAD)
    return list(led.order_by("name").values_list("name", flat=True))

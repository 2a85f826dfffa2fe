"""Reads of live group sessions, and the one representation both doors send.

`session_view` is what a member sees (HTTP snapshot and the WebSocket `snapshot` frame);
`round_view` is one round as everyone sees it. Neither ever names the author of an anonymous
share, nor shows anything that follows the order of answering (share ids are sequential, so a
revealed share carries none), and a check-in's average only exists once at least
CHECKIN_MINIMUM people answered.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from accounts.models import User
from accounts.selectors import public_person
from common.errors import NotFound
from exercises.models import Step
from group_sessions.models import Connection, GroupSession, Share
from teams.models import Membership

CHECKIN_MINIMUM = 3
REVEAL_ORDER_SALT = "humble.group_sessions.reveal_order"
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


def present_user_ids(*, session_id: int, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.PRESENCE_STALE_SECONDS)
    grace = now - timedelta(seconds=settings.PRESENCE_GRACE_SECONDS)
    alive = Q(closed_at=None, last_seen_at__gte=stale) | Q(closed_at__gte=grace)
    return sorted(set(Connection.objects.filter(session_id=session_id).filter(alive).values_list("user_id", flat=True)))


def participant_ids(*, session_id: int) -> list[int]:
    return sorted(set(Connection.objects.filter(session_id=session_id).values_list("user_id", flat=True)))


def people_view(user_ids: list[int]) -> list[dict]:
    users = User.objects.filter(pk__in=user_ids).only("pk", "display_name").order_by("pk")
    return [public_person(user) for user in users]


def _current_step(session: GroupSession) -> Step | None:
    steps = list(session.exercise.steps.all())
    return steps[session.step - 1] if session.phase == GroupSession.Phase.STEP and 0 < session.step <= len(steps) else None


def state_view(session: GroupSession) -> dict:
    """The facilitator-driven state: what changes with every command."""
    return {
        "id": session.pk,
        "phase": session.phase,
        "step": session.step,
        "deadline": session.deadline.isoformat() if session.deadline else None,
        "facilitator": public_person(session.facilitator) if session.facilitator else None,
        "version": session.version,
    }


def _reveal_order(share: Share) -> tuple:
    """Where a share sits in its revealed round: a keyed hash of its text, so the order depends
    on the texts alone, never on who answered first (with the live `round.progress` counts,
    submission order would tell who wrote what). Named shares follow the same order, as their
    place among the anonymous ones would otherwise tell. Identical texts: named before
    anonymous, then by author (already shown)."""
    return (
        salted_hmac(REVEAL_ORDER_SALT, share.text).digest(),
        share.anonymous,
        0 if share.anonymous else share.author_id,
    )


def round_view(*, session: GroupSession, step: Step, shares: list[Share]) -> dict:
    revealed = step.position in session.revealed_steps
    view = {"step": step.position, "kind": step.kind, "revealed": revealed, "count": len(shares)}
    if step.kind == Step.Kind.SHARE:
        view["shares"] = (
            [
                {"text": share.text, "author": None if share.anonymous else public_person(share.author)}
                for share in sorted(shares, key=_reveal_order)
            ]
            if revealed
            else []
        )
    else:
        enough = len(shares) >= CHECKIN_MINIMUM
        view["average"] = round(sum(s.value for s in shares) / len(shares), 2) if revealed and enough else None
        view["minimum"] = CHECKIN_MINIMUM
    return view


def round_for(*, session: GroupSession, step_position: int) -> dict:
    step = next(s for s in session.exercise.steps.all() if s.position == step_position)
    shares = list(Share.objects.filter(session=session, step=step_position).select_related("author"))
    return round_view(session=session, step=step, shares=shares)


def session_view(*, session: GroupSession, viewer: User) -> dict:
    """Everything a member sees on joining: state, exercise, who is here, the rounds so far
    and their own answers."""
    steps = list(session.exercise.steps.all())
    shares = list(Share.objects.filter(session=session).select_related("author").order_by("pk"))
    reached = session.step if session.phase == GroupSession.Phase.STEP else len(steps)
    return {
        **state_view(session),
        "team_id": session.team_id,
        "exercise": {
            "slug": session.exercise.slug,
            "title": session.exercise.title,
            "steps": [
                {"position": s.position, "kind": s.kind, "text": s.text, "seconds": s.seconds} for s in steps
            ],
        },
        "present": people_view(present_user_ids(session_id=session.pk)),
        "rounds": [
            round_view(session=session, step=step, shares=[share for share in shares if share.step == step.position])
            for step in steps
            if step.kind in ROUND_KINDS and (step.position <= reached or session.phase == GroupSession.Phase.ENDED)
        ],
        "my_answers": [answer_view(share) for share in shares if share.author_id == viewer.pk],
    }


def answer_view(share: Share) -> dict:
    """One's own answer, as only its author sees it."""
    return {"id": share.pk, "step": share.step, "text": share.text, "value": share.value, "anonymous": share.anonymous}

"""What a session room sends, and the one representation of a session both doors send.

ROOM_FRAMES is the catalogue of the room's frame types and the keys each carries, part of the
documented protocol like events.types (README, "WebSocket protocol"; the AsyncAPI document is
built from it). Every frame is built here, through `_frame`, which refuses anything else.

`session_view` is what a member sees (HTTP snapshot and the `snapshot` frame); `round_view` is
one round as everyone sees it. Neither ever names the author of an anonymous share, nor shows
anything that follows the order of answering (share ids are sequential, so a revealed share
carries none), and a check-in's average and distribution (how many gave each score) only exist
once at least CHECKIN_MINIMUM people answered.
"""

from django.utils.crypto import salted_hmac

from accounts.models import User
from accounts.presenters import public_person
from exercises.models import Step
from group_sessions.models import GroupSession, SessionSeries, Share
from group_sessions.selectors import ROUND_KINDS, present_user_ids, session_outcomes, sessions_taken_part_in

ROOM_FRAMES: dict[str, frozenset[str]] = {
    "snapshot": frozenset({"session"}),
    "state": frozenset({"session"}),
    "presence": frozenset({"present"}),
    "round.progress": frozenset({"step", "count"}),
    "round": frozenset({"round"}),
    "answer.accepted": frozenset({"answer"}),
    "share.became": frozenset({"share", "kind", "id"}),
}

CHECKIN_MINIMUM = 3
CHECKIN_SCORES = range(1, 6)
REVEAL_ORDER_SALT = "humble.group_sessions.reveal_order"


def _frame(type: str, **data) -> dict:
    if ROOM_FRAMES.get(type) != frozenset(data):
        raise ValueError(f"{type!r} with keys {sorted(data)} is not a documented room frame")
    return {"type": type, **data}


def snapshot_frame(*, session: GroupSession, viewer: User) -> dict:
    return _frame("snapshot", session=session_view(session=session, viewer=viewer))


def state_frame(*, session: GroupSession) -> dict:
    return _frame("state", session=state_view(session))


def presence_frame(*, user_ids: list[int]) -> dict:
    return _frame("presence", present=people_view(user_ids))


def round_progress_frame(*, step: int, count: int) -> dict:
    return _frame("round.progress", step=step, count=count)


def round_frame(*, session: GroupSession, step_position: int) -> dict:
    return _frame("round", round=round_for(session=session, step_position=step_position))


def answer_accepted_frame(*, share: Share) -> dict:
    return _frame("answer.accepted", answer=answer_view(share))


def share_became_frame(*, share_ref: str, kind: str, made_id: int) -> dict:
    """To the one who sent a share command: what the share became (`commitment`, `orphan` or
    `acknowledgement`) and its id, to open it over HTTP."""
    return _frame("share.became", share=share_ref, kind=kind, id=made_id)


def people_view(user_ids: list[int]) -> list[dict]:
    users = User.objects.filter(pk__in=user_ids).only("pk", "display_name").order_by("pk")
    return [public_person(user) for user in users]


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
                {
                    "ref": share.ref,
                    "text": share.text,
                    "author": None if share.anonymous else public_person(share.author),
                }
                for share in sorted(shares, key=_reveal_order)
            ]
            if revealed
            else []
        )
    else:
        shown = revealed and len(shares) >= CHECKIN_MINIMUM
        view["average"] = round(sum(s.value for s in shares) / len(shares), 2) if shown else None
        view["distribution"] = (
            {str(score): sum(1 for s in shares if s.value == score) for score in CHECKIN_SCORES} if shown else None
        )
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
        "starts_at": session.starts_at.isoformat() if session.starts_at else None,
        "repeat": session.series.repeat if session.series else SessionSeries.Repeat.NEVER,
        "exercise": {
            "slug": session.exercise.slug,
            "title": session.exercise.title,
            "steps": [{"position": s.position, "kind": s.kind, "text": s.text, "seconds": s.seconds} for s in steps],
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
    return {
        "id": share.pk,
        "ref": share.ref,
        "step": share.step,
        "text": share.text,
        "value": share.value,
        "anonymous": share.anonymous,
    }


def session_history(*, sessions: list[GroupSession], viewer: User) -> list[dict]:
    """A page of a team's sessions (group_sessions.selectors.sessions_for_team) as a member sees
    them: when, what, who facilitated, and what each produced. The revealed rounds, with their
    shares, are for those who took part only; everyone else sees the counts. A fixed number of
    queries per page, however long it is."""
    ids = [session.pk for session in sessions]
    outcomes = session_outcomes(session_ids=ids)
    took_part = sessions_taken_part_in(user=viewer, session_ids=ids)
    shown = [session for session in sessions if session.pk in took_part and session.revealed_steps]
    steps = list(
        Step.objects.filter(exercise_id__in={session.exercise_id for session in shown}, kind__in=ROUND_KINDS).order_by(
            "position"
        )
    )
    shares = list(Share.objects.filter(session__in=shown).select_related("author"))
    return [
        {
            "id": session.pk,
            "phase": session.phase,
            "exercise": {"slug": session.exercise.slug, "title": session.exercise.title},
            "starts_at": session.starts_at.isoformat() if session.starts_at else None,
            "repeat": session.series.repeat if session.series else SessionSeries.Repeat.NEVER,
            "opened_at": None if session.phase == GroupSession.Phase.SCHEDULED else session.created_at.isoformat(),
            "ended_at": session.ended_at.isoformat() if session.ended_at else None,
            "facilitator": public_person(session.facilitator) if session.facilitator else None,
            "took_part": session.pk in took_part,
            "produced": outcomes[session.pk],
            "rounds": [
                round_view(
                    session=session,
                    step=step,
                    shares=[s for s in shares if s.session_id == session.pk and s.step == step.position],
                )
                for step in steps
                if step.exercise_id == session.exercise_id and step.position in session.revealed_steps
            ]
            if session.pk in took_part
            else None,
        }
        for session in sessions
    ]


def rota_view(*, memberships: list) -> list[dict]:
    """group_sessions.selectors.facilitator_rota, as its members see it."""
    return [
        {
            **public_person(membership.user),
            "role": membership.role,
            "last_facilitated_at": membership.last_facilitated_at.isoformat()
            if membership.last_facilitated_at
            else None,
            "has_taken_part": membership.has_taken_part,
        }
        for membership in memberships
    ]

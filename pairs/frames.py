"""What a pair's room sends, and the one representation of a pair both doors send.

PAIR_ROOM_FRAMES is the catalogue of the pair room's frame types and the keys each carries,
documented like group sessions' ROOM_FRAMES (README, "WebSocket protocol"; the AsyncAPI
document is built from both). Every frame is built here, through `_frame`, which refuses
anything else.

What the two of them see: a step's answers only once both answered it (or one revealed it
after the time they agreed), never the other's answer before; the inviter never learns whether
an invitation was declined, cancelled or let expire (all read `closed`).
"""

from datetime import datetime

from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from exercises.models import Step
from group_sessions.frames import people_view
from pairs.models import Pair, PairAnswer
from pairs.selectors import present_user_ids

PAIR_ROOM_FRAMES: dict[str, frozenset[str]] = {
    "snapshot": frozenset({"pair"}),
    "state": frozenset({"pair"}),
    "presence": frozenset({"present"}),
    "answered": frozenset({"step", "by"}),
    "round": frozenset({"round"}),
    "answer.accepted": frozenset({"answer"}),
}

# How a pair's status reads: why an invitation closed is nobody's business but the partner's.
SHOWN_STATUS = {
    Pair.Status.INVITED: "open",
    Pair.Status.ACCEPTED: "active",
    Pair.Status.COMPLETED: "completed",
    Pair.Status.DECLINED: "closed",
    Pair.Status.CANCELLED: "closed",
}
SHOWN_STATUSES = ("open", "active", "completed", "closed")
ANSWERED_KINDS = (Step.Kind.SHARE,)


def _frame(type: str, **data) -> dict:
    if PAIR_ROOM_FRAMES.get(type) != frozenset(data):
        raise ValueError(f"{type!r} with keys {sorted(data)} is not a documented pair room frame")
    return {"type": type, **data}


def snapshot_frame(*, pair: Pair, viewer: User) -> dict:
    return _frame("snapshot", pair=pair_view(pair=pair, viewer=viewer))


def state_frame(*, pair: Pair) -> dict:
    return _frame("state", pair=state_view(pair))


def presence_frame(*, user_ids: list[int]) -> dict:
    return _frame("presence", present=people_view(user_ids))


def answered_frame(*, step: int, by: User) -> dict:
    return _frame("answered", step=step, by=public_person(by))


def round_frame(*, pair: Pair, step: Step, answers: list[PairAnswer]) -> dict:
    return _frame("round", round=round_view(pair=pair, step=step, answers=answers))


def answer_accepted_frame(*, answer: PairAnswer) -> dict:
    return _frame("answer.accepted", answer=answer_view(answer))


def shown_status(pair: Pair, now: datetime | None = None) -> str:
    if pair.status == Pair.Status.INVITED and pair.expires_at <= (now or timezone.now()):
        return "closed"
    return SHOWN_STATUS[pair.status]


def state_view(pair: Pair) -> dict:
    """What changes as the pair goes on, the same for both of them."""
    return {
        "id": pair.pk,
        "status": shown_status(pair),
        "step": pair.step,
        "version": pair.version,
        "reveal_after_seconds": pair.reveal_after_seconds,
        "completed_at": pair.completed_at.isoformat() if pair.completed_at else None,
    }


def summary_view(pair: Pair) -> dict:
    """A pair as its two people list them: who, what and where it stands; no answers."""
    return {
        **state_view(pair),
        "exercise": {"slug": pair.exercise.slug, "title": pair.exercise.title},
        "inviter": public_person(pair.inviter),
        "partner": public_person(pair.partner),
        "note": pair.note,
        "created_at": pair.created_at.isoformat(),
        "expires_at": pair.expires_at.isoformat(),
    }


def is_revealed(pair: Pair, step: int, answers: list[PairAnswer]) -> bool:
    return len({answer.author_id for answer in answers}) == 2 or step in pair.revealed_steps


def round_view(*, pair: Pair, step: Step, answers: list[PairAnswer]) -> dict:
    revealed = is_revealed(pair, step.position, answers)
    people = {pair.inviter_id: pair.inviter, pair.partner_id: pair.partner}
    return {
        "step": step.position,
        "answered_by": sorted(answer.author_id for answer in answers),
        "revealed": revealed,
        "answers": [{"author": public_person(people[a.author_id]), "text": a.text} for a in answers]
        if revealed
        else [],
    }


def pair_view(*, pair: Pair, viewer: User) -> dict:
    """Everything one of the two sees: the pair, its exercise, who is here, each answered
    step as both see it, and their own answers. `pair` comes from pairs.selectors.pair_for_person."""
    steps = list(pair.exercise.steps.all())
    answers = list(pair.answers.all())
    people = {pair.inviter_id: pair.inviter, pair.partner_id: pair.partner}
    return {
        **summary_view(pair),
        "exercise": {
            "slug": pair.exercise.slug,
            "title": pair.exercise.title,
            "steps": [{"position": s.position, "kind": s.kind, "text": s.text, "seconds": s.seconds} for s in steps],
        },
        "present": [public_person(people[i]) for i in present_user_ids(pair_id=pair.pk) if i in people],
        "rounds": [
            round_view(pair=pair, step=step, answers=[a for a in answers if a.step == step.position])
            for step in steps
            if step.kind in ANSWERED_KINDS
        ],
        "my_answers": [answer_view(answer) for answer in answers if answer.author_id == viewer.pk],
    }


def answer_view(answer: PairAnswer) -> dict:
    """One's own answer, as only its author sees it until it is revealed."""
    return {"step": answer.step, "text": answer.text}

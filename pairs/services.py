"""Every change to a pair: one function per thing a person does, each recording the events it
causes and announcing the change to the pair's room after commit. The HTTP door and the room
call the same functions, so a pair done live and one done each in their own time cannot drift.

A pair completes when both have answered every share step, or when either moves on past the
last step in the room; completing ends each person's run, invites both to reflect and prompts
each to acknowledge the other.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.services import person_lock
from common.errors import Conflict, Invalid, LimitReached, NotAllowed, NotFound
from common.idempotency import create_once
from events.channels import pair_group, publish
from events.services import events_record, events_record_each
from exercises.models import Exercise, Step
from exercises.services import run_complete, run_start
from nudges.triggers import nudge_pair_invited
from pairs.frames import (
    ANSWERED_KINDS,
    answered_frame,
    is_revealed,
    presence_frame,
    round_frame,
    state_frame,
)
from pairs.models import ANSWER_MAX_LENGTH, NOTE_MAX_LENGTH, Pair, PairAnswer, PairConnection
from pairs.selectors import open_invitations, pair_for_person, present_user_ids, require_pair_member

# What a pair may agree, when accepting, to wait before either may reveal a step alone.
REVEAL_AFTER_SECONDS_RANGE = (60, 7 * 24 * 3600)


def _announce(pair_id: int, *frames: dict) -> None:
    """Send frames to the pair's room once the change is committed."""
    transaction.on_commit(
        lambda: [publish(pair_group(pair_id), {"type": "room.frame", "frame": frame}) for frame in frames]
    )


def _exercise_ref(exercise: Exercise) -> dict:
    return {"slug": exercise.slug, "title": exercise.title}


@transaction.atomic
def pair_invite(
    *, inviter: User, exercise_slug: str, partner_id: int, note: str, client_id: uuid.UUID
) -> tuple[Pair, bool]:
    """Invite a colleague to a pair exercise; the same client_id again returns the first
    invitation (and False). The partner is told at once (event and nudge)."""
    person_lock(user=inviter)  # an identical retry waits here and then finds the first invitation
    note = (note or "").strip()
    pair, created = create_once(
        Pair.objects.filter(inviter=inviter).select_related("exercise"),
        client_id=client_id,
        sent={"exercise": exercise_slug, "partner": partner_id, "note": note},
        stored=lambda first: {"exercise": first.exercise.slug, "partner": first.partner_id, "note": first.note},
        create=lambda: _invite(
            inviter=inviter, exercise_slug=exercise_slug, partner_id=partner_id, note=note, client_id=client_id
        ),
    )
    return pair_for_person(user=inviter, pair_id=pair.pk), created


def _invite(*, inviter: User, exercise_slug: str, partner_id: int, note: str, client_id: uuid.UUID) -> Pair:
    exercise = Exercise.objects.filter(slug=exercise_slug, is_active=True).first()
    if exercise is None:
        raise NotFound("No such exercise.", code="exercise_not_found", field="exercise")
    if exercise.mode != Exercise.Mode.PAIR:
        raise Invalid("Only pair exercises are done in pairs.", code="not_a_pair_exercise", field="exercise")
    if partner_id == inviter.pk:
        raise Invalid("Invite someone other than yourself.", code="self_pair", field="partner")
    partner = User.objects.filter(
        pk=partner_id, organisation_id=inviter.organisation_id, organisation__isnull=False, is_active=True
    ).first()
    if partner is None:
        raise NotFound("No such colleague in your organisation.", code="partner_not_found", field="partner")
    if len(note) > NOTE_MAX_LENGTH:
        raise Invalid(f"At most {NOTE_MAX_LENGTH} characters.", code="max_length", field="note")
    now = timezone.now()
    waiting = Pair.objects.filter(open_invitations(now=now), inviter=inviter).order_by("expires_at")
    if len(waiting) >= settings.PAIR_OPEN_INVITATIONS_MAX:
        retry_after = max(int((waiting[0].expires_at - now).total_seconds()) + 1, 1)
        raise LimitReached(
            "You have enough invitations waiting; one will free up when it is answered or expires.",
            code="pair_invitations_limit",
            retry_after=retry_after,
        )
    pair = Pair.objects.create(
        inviter=inviter,
        partner=partner,
        exercise=exercise,
        note=note,
        client_id=client_id,
        expires_at=now + timedelta(hours=settings.PAIR_INVITATION_HOURS),
    )
    events_record(
        user_ids=[partner.pk],
        type="pair.invited",
        data={
            "pair_id": pair.pk,
            "exercise": _exercise_ref(exercise),
            "invited_by": public_person(inviter),
            "note": note,
            "expires_at": pair.expires_at.isoformat(),
        },
    )
    nudge_pair_invited(
        pair_id=pair.pk,
        partner_id=partner.pk,
        invited_by=public_person(inviter)["display_name"],
        exercise=exercise.slug,
        title=exercise.title,
    )
    return pair


def _locked(*, user: User, pair_id: int) -> Pair:
    """One of this person's pairs, locked for the change (anyone else: no such pair)."""
    require_pair_member(user=user, pair_id=pair_id)
    return Pair.objects.select_for_update(of=("self",)).select_related("exercise", "inviter", "partner").get(pk=pair_id)


def _require_open(pair: Pair) -> None:
    if pair.status != Pair.Status.INVITED or pair.expires_at <= timezone.now():
        raise Conflict("This invitation is no longer open.", code="pair_not_open")


def _saved(pair: Pair, *frames: dict) -> Pair:
    """Bump the version, save, announce the new state (and any frames after it) and return the
    pair as its people read it."""
    pair.version += 1
    pair.save()
    _announce(pair.pk, state_frame(pair=pair), *frames)
    return pair


@transaction.atomic
def pair_accept(*, user: User, pair_id: int, reveal_after_seconds: int | None = None) -> Pair:
    """The partner says yes, and may agree how long either waits before revealing a step
    alone. Accepting again returns the pair as it is (a phone's retry)."""
    pair = _locked(user=user, pair_id=pair_id)
    if pair.partner_id != user.pk:
        raise NotAllowed("Only the person invited answers an invitation.", code="not_the_partner")
    if pair.status in (Pair.Status.ACCEPTED, Pair.Status.COMPLETED):
        return pair_for_person(user=user, pair_id=pair.pk)
    _require_open(pair)
    low, high = REVEAL_AFTER_SECONDS_RANGE
    if reveal_after_seconds is not None and not low <= reveal_after_seconds <= high:
        raise Invalid(f"Agree {low} to {high} seconds.", code="invalid_seconds", field="reveal_after_seconds")
    pair.status = Pair.Status.ACCEPTED
    pair.responded_at = timezone.now()
    pair.reveal_after_seconds = reveal_after_seconds
    # Each starts their run now; locks in id order, like every change touching two people.
    for person in sorted((pair.inviter, pair.partner), key=lambda p: p.pk):
        run, _ = run_start(
            user=person,
            exercise_slug=pair.exercise.slug,
            client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"pair:{pair.pk}:{person.pk}"),
        )
        setattr(pair, "inviter_run" if person.pk == pair.inviter_id else "partner_run", run)
    events_record(
        user_ids=[pair.inviter_id],
        type="pair.accepted",
        data={"pair_id": pair.pk, "exercise": _exercise_ref(pair.exercise), "partner": public_person(pair.partner)},
    )
    _saved(pair)
    return pair_for_person(user=user, pair_id=pair.pk)


@transaction.atomic
def pair_decline(*, user: User, pair_id: int) -> Pair:
    """The partner says no. The inviter is not told: to them it reads as closed, as an
    expired invitation does. Declining again changes nothing."""
    pair = _locked(user=user, pair_id=pair_id)
    if pair.partner_id != user.pk:
        raise NotAllowed("Only the person invited answers an invitation.", code="not_the_partner")
    if pair.status != Pair.Status.DECLINED:
        _require_open(pair)
        pair.status = Pair.Status.DECLINED
        pair.responded_at = timezone.now()
        _saved(pair)
    return pair_for_person(user=user, pair_id=pair.pk)


@transaction.atomic
def pair_cancel(*, user: User, pair_id: int) -> Pair:
    """The inviter takes back an open invitation. Cancelling again changes nothing."""
    pair = _locked(user=user, pair_id=pair_id)
    if pair.inviter_id != user.pk:
        raise NotAllowed("Only the person who invited cancels an invitation.", code="not_the_inviter")
    if pair.status != Pair.Status.CANCELLED:
        _require_open(pair)
        pair.status = Pair.Status.CANCELLED
        _saved(pair)
    return pair_for_person(user=user, pair_id=pair.pk)


def _require_active(pair: Pair) -> None:
    if pair.status != Pair.Status.ACCEPTED:
        raise Conflict("This pair is not under way.", code="pair_not_active")


def _steps(pair: Pair) -> list[Step]:
    return list(pair.exercise.steps.order_by("position"))


@transaction.atomic
def pair_advance(*, user: User, pair_id: int, version: int) -> Pair:
    """Either of the two moves the pair to the next step; past the last one, it completes.
    Against an old version it is refused, so two taps at once move it on once."""
    pair = _locked(user=user, pair_id=pair_id)
    _require_active(pair)
    if version != pair.version:
        raise Conflict("The pair has moved on since you last saw it.", code="stale_version")
    if pair.step >= len(_steps(pair)):
        _complete(pair)
    else:
        pair.step += 1
    _saved(pair)
    return pair_for_person(user=user, pair_id=pair.pk)


@transaction.atomic
def pair_answer(*, user: User, pair_id: int, step: int, text: str) -> PairAnswer:
    """One's answer to a share step, in the room or over HTTP, at any time while the pair is
    under way. Answering again replaces it until the step is revealed; the second person's
    answer reveals the step to both."""
    pair = _locked(user=user, pair_id=pair_id)
    _require_active(pair)
    steps = _steps(pair)
    current = next((s for s in steps if s.position == step), None)
    if current is None or current.kind not in ANSWERED_KINDS:
        raise Invalid("This step asks for no answer.", code="not_a_round", field="step")
    if not isinstance(text, str) or not text.strip():
        raise Invalid("Write your answer.", code="blank", field="text")
    if len(text) > ANSWER_MAX_LENGTH:
        raise Invalid(f"At most {ANSWER_MAX_LENGTH} characters.", code="max_length", field="text")
    if is_revealed(pair, step, list(pair.answers.filter(step=step))):
        raise Conflict("This step has been revealed.", code="round_revealed")
    answer, _ = PairAnswer.objects.update_or_create(
        pair=pair, step=step, author=user, defaults={"text": text.strip(), "created_at": timezone.now()}
    )
    answers = list(pair.answers.filter(step=step).order_by("author_id"))
    frames = [answered_frame(step=step, by=user)]
    if is_revealed(pair, step, answers):
        frames.append(round_frame(pair=pair, step=current, answers=answers))
        if _all_answered(pair, steps):
            _complete(pair)
            _saved(pair, *frames)
            return answer
    _announce(pair.pk, *frames)
    return answer


def _all_answered(pair: Pair, steps: list[Step]) -> bool:
    wanted = {s.position for s in steps if s.kind in ANSWERED_KINDS}
    answered = set(pair.answers.values_list("step", "author_id"))
    return all((position, person) in answered for position in wanted for person in (pair.inviter_id, pair.partner_id))


@transaction.atomic
def pair_reveal(*, user: User, pair_id: int, step: int) -> Pair:
    """Show a step's answers without waiting for the other: only where the pair agreed a time
    when accepting, once that long has passed since the step's first answer."""
    pair = _locked(user=user, pair_id=pair_id)
    _require_active(pair)
    current = next((s for s in _steps(pair) if s.position == step), None)
    if current is None or current.kind not in ANSWERED_KINDS:
        raise Invalid("This step asks for no answer.", code="not_a_round", field="step")
    answers = list(pair.answers.filter(step=step).order_by("author_id"))
    if not is_revealed(pair, step, answers):
        first = min((a.created_at for a in answers), default=None)
        if (
            pair.reveal_after_seconds is None
            or first is None
            or timezone.now() < first + timedelta(seconds=pair.reveal_after_seconds)
        ):
            raise Conflict("This step cannot be revealed yet.", code="reveal_not_yet")
        pair.revealed_steps = [*pair.revealed_steps, step]
        _saved(pair, round_frame(pair=pair, step=current, answers=answers))
    return pair_for_person(user=user, pair_id=pair.pk)


def _complete(pair: Pair) -> None:
    """The pair is done: each person's run completed, both invited to reflect, and each gently
    prompted to acknowledge the other."""
    pair.status = Pair.Status.COMPLETED
    pair.completed_at = timezone.now()
    runs = {pair.inviter_id: pair.inviter_run_id, pair.partner_id: pair.partner_run_id}
    others = {pair.inviter_id: pair.partner, pair.partner_id: pair.inviter}
    exercise = _exercise_ref(pair.exercise)
    entries = []
    for person in sorted((pair.inviter, pair.partner), key=lambda p: p.pk):
        if runs[person.pk] is not None:
            run_complete(user=person, run_id=runs[person.pk])
        entries.append(
            (person.pk, "pair.reflection_invite", {"pair_id": pair.pk, "run_id": runs[person.pk], "exercise": exercise})
        )
        entries.append(
            (
                person.pk,
                "pair.completed",
                {"pair_id": pair.pk, "exercise": exercise, "partner": public_person(others[person.pk])},
            )
        )
    events_record_each(entries=entries)


# Presence in the pair's room: the rules of group sessions' rooms (group_sessions.selectors).


@transaction.atomic
def pair_connect(*, user: User, pair_id: int, channel_name: str) -> Pair:
    """One of the two joins the room; returns what they see on joining."""
    pair = pair_for_person(user=user, pair_id=pair_id)
    PairConnection.objects.create(pair=pair, user=user, channel_name=channel_name)
    return pair


def pair_disconnect(*, channel_name: str) -> None:
    """The connection closed; its person stays present for the grace period."""
    PairConnection.objects.filter(channel_name=channel_name).update(closed_at=timezone.now())


def pair_heartbeat(*, channel_names: list[str]) -> None:
    """These connections are still open: one write for all of a server process's connections."""
    PairConnection.objects.filter(channel_name__in=channel_names, closed_at=None).update(last_seen_at=timezone.now())


def pair_presence_sweep(*, pair_id: int) -> list[int]:
    """Announce who is present if it changed since the last announcement; of several
    processes sweeping at once, the one whose update changes the stored list announces."""
    present = present_user_ids(pair_id=pair_id)
    key = ",".join(map(str, present))
    if Pair.objects.filter(pk=pair_id).exclude(present_key=key).update(present_key=key):
        publish(pair_group(pair_id), {"type": "room.frame", "frame": presence_frame(user_ids=present)})
    return present

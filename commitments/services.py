"""Every change to a commitment: made (over HTTP, or in a live session from one's own revealed
share), done, dropped. Only the volunteer changes their own; a repeat of the same step is a
retry, answered as the first time."""

import uuid
from datetime import date

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.services import person_lock
from commitments.models import TEXT_MAX_LENGTH, Commitment
from commitments.selectors import commitment_for_member
from common.errors import Conflict, Invalid, NotAllowed
from common.idempotency import create_once
from common.text import shortened
from events.services import events_record
from group_sessions.selectors import session_for_member
from group_sessions.services import revealed_share
from teams.models import Membership
from teams.selectors import require_member


def _check_back(check_back_on: date | None) -> date | None:
    if check_back_on is not None and check_back_on < timezone.localdate():
        raise Invalid("Check back today or later.", code="invalid", field="check_back")
    return check_back_on


@transaction.atomic
def commitment_make(
    *, user: User, team_id: int, text: str, client_id: uuid.UUID, check_back_on: date | None = None
) -> tuple[Commitment, bool]:
    """Take something on for one's team: the volunteer is always oneself."""
    require_member(user=user, team_id=team_id)
    person_lock(user=user)
    text = text.strip()
    if not text:
        raise Invalid("Say what you will do.", code="blank", field="text")
    if len(text) > TEXT_MAX_LENGTH:
        raise Invalid(f"At most {TEXT_MAX_LENGTH} characters.", code="max_length", field="text")
    check_back_on = _check_back(check_back_on)
    return create_once(
        Commitment.objects.filter(volunteer=user),
        client_id=client_id,
        sent={"team": team_id, "text": text, "check_back": check_back_on},
        stored=lambda first: {"team": first.team_id, "text": first.text, "check_back": first.check_back_on},
        create=lambda: Commitment.objects.create(
            team_id=team_id, volunteer=user, text=text, check_back_on=check_back_on, client_id=client_id
        ),
    )


@transaction.atomic
def commitment_from_share(
    *, user: User, session_id: int, share_ref: str, check_back_on: date | None = None
) -> Commitment:
    """In a live session, one's own revealed share becomes one's commitment. A share becomes
    one commitment: sending it again answers with the first."""
    session = session_for_member(user=user, session_id=session_id)
    share = revealed_share(session=session, ref=share_ref)
    if share.author_id != user.pk:
        raise NotAllowed("Only its author makes a share their commitment.", code="not_your_share")
    existing = Commitment.objects.filter(share=share).first()
    if existing is not None:
        return existing
    person_lock(user=user)
    return Commitment.objects.create(
        team_id=session.team_id,
        volunteer=user,
        text=shortened(share.text, limit=TEXT_MAX_LENGTH),
        check_back_on=_check_back(check_back_on),
        session=session,
        share=share,
    )


def _own_open(user: User, commitment_id: int, ending: str) -> tuple[Commitment, bool]:
    """The volunteer's commitment, locked, and whether it is still open (False: a retry of
    `ending`). The lock makes two taps at once end it once."""
    commitment_for_member(user=user, commitment_id=commitment_id)
    commitment = Commitment.objects.select_for_update().select_related("volunteer").get(pk=commitment_id)
    if commitment.volunteer_id != user.pk:
        raise NotAllowed("Only the one who took it on can do that.", code="not_the_volunteer")
    if commitment.status == ending:
        return commitment, False
    if commitment.status != Commitment.Status.OPEN:
        raise Conflict(f"It is {commitment.status} already.", code="commitment_closed")
    return commitment, True


@transaction.atomic
def commitment_done(*, user: User, commitment_id: int) -> Commitment:
    """The volunteer kept it: the team is told (an invitation to acknowledge) and sees it on its feed."""
    commitment, still_open = _own_open(user, commitment_id, Commitment.Status.DONE)
    if not still_open:
        return commitment
    commitment.status, commitment.done_at = Commitment.Status.DONE, timezone.now()
    commitment.save(update_fields=["status", "done_at"])
    teammates = (
        Membership.objects.filter(team_id=commitment.team_id).exclude(user=user).values_list("user_id", flat=True)
    )
    events_record(
        user_ids=teammates,
        type="commitment.done",
        data={
            "commitment_id": commitment.pk,
            "team_id": commitment.team_id,
            "text": commitment.text,
            "volunteer": public_person(user),
        },
    )
    return commitment


@transaction.atomic
def commitment_drop(*, user: User, commitment_id: int) -> Commitment:
    """The volunteer lets it go, openly."""
    commitment, still_open = _own_open(user, commitment_id, Commitment.Status.DROPPED)
    if still_open:
        commitment.status, commitment.dropped_at = Commitment.Status.DROPPED, timezone.now()
        commitment.save(update_fields=["status", "dropped_at"])
    return commitment

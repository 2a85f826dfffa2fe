"""Every change to an orphan: post, claim ("leave it with me"), release, done, reopen.

Each is a transition from one state to the next, made with a conditional update so that two
people claiming at the same moment get exactly one winner; an illegal one is a clear 409. A
retry of one's own transition (a phone re-sending) answers as the first time did.
"""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, IntegerField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.services import person_lock
from common.errors import Conflict, Invalid, NotAllowed
from common.idempotency import create_once
from common.text import shortened
from events.services import events_record
from group_sessions.selectors import session_for_member
from group_sessions.services import revealed_share
from nudges.triggers import (
    nudge_claim_handed_back,
    nudge_orphan_claimed,
    nudge_orphan_reminder,
    nudge_orphan_unclaimed,
)
from orphans.models import DETAIL_MAX_LENGTH, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH, Activity, Orphan
from orphans.selectors import orphan_for_member
from teams.models import Membership
from teams.selectors import require_member


def _lead_ids(team_id: int) -> list[int]:
    leads = Membership.objects.filter(team_id=team_id, role=Membership.Role.LEAD)
    return list(leads.values_list("user_id", flat=True))


def _summary(orphan: Orphan) -> dict:
    return {"orphan_id": orphan.pk, "team_id": orphan.team_id, "title": orphan.title}


@transaction.atomic
def orphan_post(
    *, user: User, team_id: int, title: str, detail: str = "", client_id: uuid.UUID, session_id: int | None = None
) -> tuple[Orphan, bool]:
    """Post a problem nobody owns to one's team (from a live session's share, `session_id`)."""
    require_member(user=user, team_id=team_id)
    person_lock(user=user)
    title, detail = title.strip(), detail.strip()
    if not title:
        raise Invalid("Say what the problem is.", code="blank", field="title")
    if len(title) > TITLE_MAX_LENGTH:
        raise Invalid(f"At most {TITLE_MAX_LENGTH} characters.", code="max_length", field="title")
    if len(detail) > DETAIL_MAX_LENGTH:
        raise Invalid(f"At most {DETAIL_MAX_LENGTH} characters.", code="max_length", field="detail")

    def create() -> Orphan:
        orphan = Orphan.objects.create(
            team_id=team_id, posted_by=user, title=title, detail=detail, client_id=client_id, session_id=session_id
        )
        Activity.objects.create(orphan=orphan, kind=Activity.Kind.POSTED, actor=user, created_at=orphan.created_at)
        nudge_orphan_unclaimed(
            orphan_id=orphan.pk, title=title, lead_ids=_lead_ids(team_id), posted_at=orphan.created_at
        )
        return orphan

    orphan, created = create_once(
        Orphan.objects.filter(posted_by=user),
        client_id=client_id,
        sent={"team": team_id, "title": title, "detail": detail},
        stored=lambda first: {"team": first.team_id, "title": first.title, "detail": first.detail},
        create=create,
    )
    return orphan_for_member(user=user, orphan_id=orphan.pk), created


def _refusal(orphan: Orphan, user: User) -> Conflict:
    """Why a transition that needs the caller's own claim cannot happen to this orphan."""
    if orphan.status == Orphan.Status.OPEN:
        return Conflict("Nobody has claimed it.", code="not_claimed")
    if orphan.claimed_by_id != user.pk:
        return Conflict("Only the one who claimed it can do that.", code="not_your_claim")
    return Conflict("It is done already.", code="already_done")


def _last_activity(orphan: Orphan) -> Activity | None:
    return Activity.objects.filter(orphan=orphan).order_by("-created_at", "-pk").first()


def _retried(orphan: Orphan, user: User, kind: str) -> bool:
    """True if the person's own last action was this one: a retry, answered as the first time."""
    last = _last_activity(orphan)
    return last is not None and last.kind == kind and last.actor_id == user.pk


@transaction.atomic
def orphan_claim(*, user: User, orphan_id: int, check_back_on: date | None = None) -> Orphan:
    """ "Leave it with me": one claimant at a time, optionally with a date to check back; the
    poster hears about it."""
    if check_back_on is not None and check_back_on < timezone.localdate():
        raise Invalid("Check back today or later.", code="invalid", field="check_back")
    orphan = orphan_for_member(user=user, orphan_id=orphan_id)
    now = timezone.now()
    won = Orphan.objects.filter(pk=orphan.pk, status=Orphan.Status.OPEN).update(
        status=Orphan.Status.CLAIMED,
        claimed_by=user,
        claimed_at=now,
        check_back_on=check_back_on,
        first_claimed_at=Coalesce(F("first_claimed_at"), now),
        first_claimed_by=Coalesce(F("first_claimed_by"), Value(user.pk), output_field=IntegerField()),
        last_activity_at=now,
    )
    orphan = orphan_for_member(user=user, orphan_id=orphan_id)
    if not won:
        if orphan.status == Orphan.Status.CLAIMED and orphan.claimed_by_id == user.pk:
            return orphan
        if orphan.status == Orphan.Status.DONE:
            raise Conflict("It is done already.", code="already_done")
        raise Conflict('Someone has already said "leave it with me".', code="already_claimed")
    activity = Activity.objects.create(orphan=orphan, kind=Activity.Kind.CLAIMED, actor=user, created_at=now)
    if orphan.posted_by_id != user.pk:
        events_record(
            user_ids=[orphan.posted_by_id],
            type="orphan.claimed",
            data={**_summary(orphan), "claimed_by": public_person(user)},
        )
        nudge_orphan_claimed(
            orphan_id=orphan.pk,
            title=orphan.title,
            poster_id=orphan.posted_by_id,
            claimant_id=user.pk,
            claimant_name=public_person(user)["display_name"],
        )
    nudge_orphan_reminder(
        orphan_id=orphan.pk,
        title=orphan.title,
        claimant_id=user.pk,
        claim_id=activity.pk,
        claimed_at=activity.created_at,
    )
    return orphan


@transaction.atomic
def orphan_release(*, user: User, orphan_id: int) -> Orphan:
    """The claimant hands it back; it is open again, and the team's leads are nudged to react well."""
    orphan = orphan_for_member(user=user, orphan_id=orphan_id)
    if not _release(orphan_id=orphan.pk, user=user):
        if orphan.status == Orphan.Status.OPEN and _retried(orphan, user, Activity.Kind.RELEASED):
            return orphan
        raise _refusal(orphan, user)
    _handed_back(orphan)
    return orphan_for_member(user=user, orphan_id=orphan_id)


def _handed_back(orphan: Orphan) -> None:
    nudge_claim_handed_back(
        orphan_id=orphan.pk,
        title=orphan.title,
        lead_ids=_lead_ids(orphan.team_id),
        activity_id=_last_activity(orphan).pk,
    )


@transaction.atomic
def orphan_claims_release(*, user: User) -> list[int]:
    """Hand back everything this person has claimed, each as their own release would: for
    someone leaving for good (account erasure), whichever teams they are still in. Returns the
    orphans' ids."""
    claimed = Orphan.objects.filter(claimed_by=user, status=Orphan.Status.CLAIMED).order_by("pk")
    return [orphan_id for orphan_id in claimed.values_list("pk", flat=True) if _release(orphan_id=orphan_id, user=user)]


def _release(*, orphan_id: int, user: User) -> bool:
    """Open the orphan again if this person holds its claim, and keep that as an activity."""
    now = timezone.now()
    released = Orphan.objects.filter(pk=orphan_id, status=Orphan.Status.CLAIMED, claimed_by=user).update(
        status=Orphan.Status.OPEN, claimed_by=None, claimed_at=None, check_back_on=None, last_activity_at=now
    )
    if released:
        Activity.objects.create(orphan_id=orphan_id, kind=Activity.Kind.RELEASED, actor=user, created_at=now)
    return bool(released)


@transaction.atomic
def orphan_done(*, user: User, orphan_id: int, note: str = "") -> Orphan:
    """The claimant marks it done; the team is told, and invited to acknowledge the jump-in."""
    if len(note) > NOTE_MAX_LENGTH:
        raise Invalid(f"At most {NOTE_MAX_LENGTH} characters.", code="max_length", field="note")
    orphan = orphan_for_member(user=user, orphan_id=orphan_id)
    now = timezone.now()
    finished = Orphan.objects.filter(pk=orphan.pk, status=Orphan.Status.CLAIMED, claimed_by=user).update(
        status=Orphan.Status.DONE, done_at=now, done_note=note.strip(), last_activity_at=now
    )
    if not finished:
        if orphan.status == Orphan.Status.DONE and orphan.claimed_by_id == user.pk:
            return orphan
        raise _refusal(orphan, user)
    Activity.objects.create(orphan=orphan, kind=Activity.Kind.DONE, actor=user, created_at=now)
    teammates = Membership.objects.filter(team_id=orphan.team_id).exclude(user=user).values_list("user_id", flat=True)
    events_record(
        user_ids=teammates,
        type="orphan.done",
        data={**_summary(orphan), "done_by": public_person(user), "note": note.strip()},
    )
    return orphan_for_member(user=user, orphan_id=orphan_id)


@transaction.atomic
def orphan_reopen(*, user: User, orphan_id: int) -> Orphan:
    """A lead frees a claim that has gone quiet (no activity for ORPHAN_STALE_DAYS)."""
    orphan = orphan_for_member(user=user, orphan_id=orphan_id)
    if not Membership.objects.filter(team_id=orphan.team_id, user=user, role=Membership.Role.LEAD).exists():
        raise NotAllowed("Only the team's lead can reopen a claim.", code="not_team_lead")
    now = timezone.now()
    stale_before = now - timedelta(days=settings.ORPHAN_STALE_DAYS)
    former = orphan.claimed_by_id
    reopened = Orphan.objects.filter(
        pk=orphan.pk, status=Orphan.Status.CLAIMED, last_activity_at__lt=stale_before
    ).update(status=Orphan.Status.OPEN, claimed_by=None, claimed_at=None, check_back_on=None, last_activity_at=now)
    if not reopened:
        if orphan.status == Orphan.Status.OPEN and _retried(orphan, user, Activity.Kind.REOPENED):
            return orphan
        if orphan.status == Orphan.Status.CLAIMED:
            raise Conflict("The claim is still active.", code="claim_not_stale")
        if orphan.status == Orphan.Status.DONE:
            raise Conflict("It is done already.", code="already_done")
        raise Conflict("Nobody has claimed it.", code="not_claimed")
    Activity.objects.create(orphan=orphan, kind=Activity.Kind.REOPENED, actor=user, created_at=now)
    _handed_back(orphan)
    events_record(user_ids=[former], type="orphan.reopened", data=_summary(orphan))
    return orphan_for_member(user=user, orphan_id=orphan_id)


@transaction.atomic
def orphan_from_share(*, user: User, session_id: int, share_ref: str) -> Orphan:
    """In a live session's "who will pick this up" round, the facilitator makes a revealed
    share an orphan of the team in one step. It is posted by the share's author (by the
    facilitator if the share was anonymous, so nobody is unmasked); a share becomes one orphan,
    so sending it again answers with the first."""
    session = session_for_member(user=user, session_id=session_id)
    if session.facilitator_id != user.pk:
        raise NotAllowed("Only the facilitator can do that.", code="not_facilitator")
    share = revealed_share(session=session, ref=share_ref)
    title = shortened(share.text, limit=TITLE_MAX_LENGTH)
    orphan, _ = orphan_post(
        user=user if share.anonymous else share.author,
        team_id=session.team_id,
        title=title,
        detail=share.text if title != share.text else "",
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"humble:share:{share.pk}:orphan"),
        session_id=session.pk,
    )
    return orphan

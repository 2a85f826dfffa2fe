"""Writes about acknowledgements: sending, reading, reacting, hiding and reporting."""

import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.selectors import local_day_start, local_today, seconds_until_local_midnight
from accounts.services import person_lock
from acknowledgements.models import MESSAGE_MAX_LENGTH, Acknowledgement, Reaction, Report
from acknowledgements.selectors import acknowledgement_for
from commitments.models import Commitment
from common.errors import Invalid, LimitReached, NotAllowed, NotFound
from common.idempotency import earlier_attempt
from common.text import shortened
from events.services import events_record
from group_sessions.selectors import session_for_member
from group_sessions.services import revealed_share
from nudges.triggers import nudge_seen
from orphans.models import Orphan


@transaction.atomic
def acknowledgement_create(
    *,
    sender: User,
    recipient_id: int,
    message: str,
    behaviour: str,
    visibility: str,
    client_id: uuid.UUID,
    orphan_id: int | None = None,
    commitment_id: int | None = None,
) -> tuple[Acknowledgement, bool]:
    """Send "I see you" to a colleague in one's organisation; the same client_id again returns
    the first one (and False). A sender has a daily limit, counted in their local day."""
    person_lock(user=sender)
    message = message.strip()
    if not message:
        raise Invalid("Say what you saw.", code="blank", field="message")
    if len(message) > MESSAGE_MAX_LENGTH:
        raise Invalid(f"At most {MESSAGE_MAX_LENGTH} characters.", code="max_length", field="message")
    if behaviour not in Acknowledgement.Behaviour.values:
        raise Invalid("Unknown behaviour.", code="invalid_choice", field="behaviour")
    if visibility not in Acknowledgement.Visibility.values:
        raise Invalid("Unknown visibility.", code="invalid_choice", field="visibility")

    # A retry finds its first attempt before any limit is counted (the first may be the last allowed).
    existing = earlier_attempt(
        Acknowledgement.objects.filter(sender=sender),
        client_id=client_id,
        sent={
            "recipient": recipient_id,
            "message": message,
            "behaviour": behaviour,
            "visibility": visibility,
            "orphan": orphan_id,
            "commitment": commitment_id,
        },
        stored=lambda first: {
            "recipient": first.recipient_id,
            "message": first.message,
            "behaviour": first.behaviour,
            "visibility": first.visibility,
            "orphan": first.orphan_id,
            "commitment": first.commitment_id,
        },
    )
    if existing is not None:
        return acknowledgement_for(user=sender, acknowledgement_id=existing.pk), False

    if recipient_id == sender.pk:
        raise Invalid("Acknowledge someone else.", code="self_acknowledgement", field="recipient")
    recipient = User.objects.filter(
        pk=recipient_id, is_active=True, organisation_id=sender.organisation_id, organisation__isnull=False
    ).first()
    if recipient is None:
        raise NotFound("No such colleague in your organisation.", code="recipient_not_found", field="recipient")

    orphan = _jump_in(sender=sender, recipient=recipient, behaviour=behaviour, orphan_id=orphan_id)
    commitment = _taken_on(sender=sender, recipient=recipient, commitment_id=commitment_id)
    day_start = local_day_start(user=sender, day=local_today(user=sender))
    sent_today = Acknowledgement.objects.filter(sender=sender, created_at__gte=day_start).count()
    if sent_today >= settings.ACKNOWLEDGEMENT_DAILY_LIMIT:
        raise LimitReached(
            f"You have sent {sent_today} today, the daily limit. Tomorrow is another day.",
            code="daily_limit_reached",
            retry_after=seconds_until_local_midnight(user=sender),
        )

    acknowledgement = Acknowledgement.objects.create(
        organisation_id=sender.organisation_id,
        sender=sender,
        recipient=recipient,
        message=message,
        behaviour=behaviour,
        visibility=visibility,
        client_id=client_id,
        orphan=orphan,
        commitment=commitment,
    )
    events_record(
        user_ids=[recipient.pk],
        type="acknowledgement.received",
        data={
            "acknowledgement_id": acknowledgement.pk,
            "sender": public_person(sender),
            "behaviour": behaviour,
            "visibility": visibility,
            "message": message,
        },
    )
    nudge_seen(recipient_id=recipient.pk, at=acknowledgement.created_at)
    # As made, not read again: everything it shows is in hand (a new one has no reactions),
    # and the transaction (which holds SQLite's one write lock) stays short.
    acknowledgement.reaction_marks = None
    return acknowledgement, True


def _jump_in(*, sender: User, recipient: User, behaviour: str, orphan_id: int | None) -> Orphan | None:
    """The orphan an acknowledgement celebrates: one of the sender's teams', taken on by the recipient."""
    if orphan_id is None:
        return None
    orphan = Orphan.objects.filter(
        pk=orphan_id, team__memberships__user=sender, status__in=[Orphan.Status.CLAIMED, Orphan.Status.DONE]
    ).first()
    if orphan is None:
        raise NotFound("No such claimed orphan in your teams.", code="orphan_not_found", field="orphan")
    if orphan.claimed_by_id != recipient.pk:
        raise Invalid("Acknowledge the one who took it on.", code="not_the_claimant", field="recipient")
    if behaviour != Acknowledgement.Behaviour.JUMPED_IN:
        raise Invalid("A jump-in is acknowledged as jumped_in.", code="not_a_jump_in", field="behaviour")
    return orphan


def _taken_on(*, sender: User, recipient: User, commitment_id: int | None) -> Commitment | None:
    """The commitment an acknowledgement celebrates: one of the sender's teams', open or kept
    (not dropped), whose volunteer is the recipient."""
    if commitment_id is None:
        return None
    commitment = (
        Commitment.objects.filter(pk=commitment_id, team__memberships__user=sender)
        .exclude(status=Commitment.Status.DROPPED)
        .first()
    )
    if commitment is None:
        raise NotFound("No such commitment in your teams.", code="commitment_not_found", field="commitment")
    if commitment.volunteer_id != recipient.pk:
        raise Invalid("Acknowledge the one who took it on.", code="not_the_volunteer", field="recipient")
    return commitment


@transaction.atomic
def acknowledgement_mark_read(*, user: User, acknowledgement_id: int) -> Acknowledgement:
    acknowledgement = acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)
    if acknowledgement.recipient_id != user.pk:
        raise NotAllowed("Only the recipient can mark it read.", code="not_recipient")
    if acknowledgement.read_at is None:
        acknowledgement.read_at = timezone.now()
        acknowledgement.save(update_fields=["read_at"])
    return acknowledgement


@transaction.atomic
def reaction_add(*, user: User, acknowledgement_id: int, kind: str) -> Acknowledgement:
    if kind not in Reaction.Kind.values:
        raise Invalid("Unknown reaction.", code="invalid_choice", field="kind")
    acknowledgement = acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)
    _, created = Reaction.objects.get_or_create(acknowledgement=acknowledgement, user=user, kind=kind)
    if created:
        events_record(
            user_ids={acknowledgement.sender_id, acknowledgement.recipient_id} - {user.pk},
            type="acknowledgement.reaction",
            data={
                "acknowledgement_id": acknowledgement.pk,
                "kind": kind,
                "by": public_person(user),
            },
        )
    return acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)


@transaction.atomic
def reaction_remove(*, user: User, acknowledgement_id: int, kind: str) -> Acknowledgement:
    if kind not in Reaction.Kind.values:
        raise Invalid("Unknown reaction.", code="invalid_choice", field="kind")
    acknowledgement = acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)
    Reaction.objects.filter(acknowledgement=acknowledgement, user=user, kind=kind).delete()
    return acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)


@transaction.atomic
def acknowledgement_hide(*, user: User, acknowledgement_id: int) -> Acknowledgement:
    """The recipient takes it off the team feed. It stays in their own and the sender's lists."""
    acknowledgement = acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)
    if acknowledgement.recipient_id != user.pk:
        raise NotAllowed("Only the recipient can hide it.", code="not_recipient")
    if not acknowledgement.hidden_by_recipient:
        acknowledgement.hidden_by_recipient = True
        acknowledgement.save(update_fields=["hidden_by_recipient"])
    return acknowledgement


@transaction.atomic
def acknowledgement_report(*, user: User, acknowledgement_id: int, reason: str = "") -> Report:
    """Anyone who can see it says it is not OK: it leaves the team feed until an admin reviews it."""
    # A retry finds the first report even though the report took the acknowledgement off the
    # feed, which may have been the only place this person could see it.
    existing = Report.objects.filter(acknowledgement_id=acknowledgement_id, reporter=user).first()
    if existing is not None:
        return existing
    acknowledgement = acknowledgement_for(user=user, acknowledgement_id=acknowledgement_id)
    if len(reason) > 500:
        raise Invalid("At most 500 characters.", code="max_length", field="reason")
    report, _ = Report.objects.get_or_create(
        acknowledgement=acknowledgement, reporter=user, defaults={"reason": reason}
    )
    if not acknowledgement.hidden_for_review:
        acknowledgement.hidden_for_review = True
        acknowledgement.save(update_fields=["hidden_for_review"])
    return report


@transaction.atomic
def reports_resolve(*, report_ids: list[int], restore_to_feed: bool) -> None:
    """An admin closes reports, either putting the acknowledgements back on the feed or not."""
    reports = Report.objects.filter(pk__in=report_ids)
    if restore_to_feed:
        Acknowledgement.objects.filter(reports__in=reports).update(hidden_for_review=False)
    reports.update(resolved_at=timezone.now())


@transaction.atomic
def acknowledgement_from_share(
    *, user: User, session_id: int, share_ref: str, recipient_id: int, behaviour: str
) -> Acknowledgement:
    """A shout-out: in a live session's round, the author of a revealed share that names a
    colleague confirms it, and it becomes their acknowledgement of that colleague, shown to the
    team and notified as any acknowledgement is. A share becomes one acknowledgement: sending it
    again answers with the first."""
    share = revealed_share(session=session_for_member(user=user, session_id=session_id), ref=share_ref)
    if share.author_id != user.pk:
        raise NotAllowed("Only its author turns a share into a shout-out.", code="not_your_share")
    acknowledgement, _ = acknowledgement_create(
        sender=user,
        recipient_id=recipient_id,
        message=shortened(share.text, limit=MESSAGE_MAX_LENGTH),
        behaviour=behaviour,
        visibility=Acknowledgement.Visibility.TEAM,
        client_id=uuid.uuid5(uuid.NAMESPACE_URL, f"humble:share:{share.pk}:shout-out"),
    )
    return acknowledgement

"""Every change to a team's agreements: create one, propose a version, adopt a draft (over HTTP
by the lead, or in a live session by its facilitator), comment from another team.

Versions are numbered under a lock on their agreement, so two proposals at once get two
numbers and two adoptions at once leave exactly one current version. Every creation a phone
may retry is keyed by its client_id (common.idempotency).
"""

import uuid
from datetime import date, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import User
from accounts.presenters import public_person
from accounts.services import person_lock
from agreements.models import COMMENT_MAX_LENGTH, REVIEW_AFTER_DAYS, TEXT_MAX_LENGTH, Agreement, Comment, Version
from agreements.selectors import readable_agreement
from common.errors import Conflict, Invalid, NotAllowed, NotFound
from common.idempotency import create_once
from events.services import events_record
from group_sessions.models import GroupSession
from group_sessions.services import revealed_share, session_moment
from teams.models import Membership
from teams.selectors import require_member


def _text(text: str, *, limit: int = TEXT_MAX_LENGTH, what: str = "Write the agreement.") -> str:
    text = text.strip()
    if not text:
        raise Invalid(what, code="blank", field="text")
    if len(text) > limit:
        raise Invalid(f"At most {limit} characters.", code="max_length", field="text")
    return text


def _kind(kind: str) -> str:
    if kind not in Agreement.Kind.values:
        raise Invalid(f"One of {', '.join(Agreement.Kind.values)}.", code="invalid_choice", field="kind")
    return kind


def _next_number(agreement: Agreement) -> int:
    return (Version.objects.filter(agreement=agreement).aggregate(last=Max("number"))["last"] or 0) + 1


def _locked(agreement_id: int) -> Agreement:
    return Agreement.objects.select_for_update().select_related("team").get(pk=agreement_id)


@transaction.atomic
def agreement_create(*, user: User, team_id: int, kind: str, text: str, client_id: uuid.UUID) -> tuple[Agreement, bool]:
    """A member starts one of the team's agreements, its first wording a draft. A team has one
    agreement of each kind: a change to it is a new version, not a second agreement."""
    require_member(user=user, team_id=team_id)
    person_lock(user=user)
    kind, text = _kind(kind), _text(text)

    def create() -> Agreement:
        if Agreement.objects.filter(team_id=team_id, kind=kind).exists():
            raise Conflict("The team already has this agreement: propose a new version of it.", code="agreement_exists")
        agreement = Agreement.objects.create(team_id=team_id, kind=kind, created_by=user, client_id=client_id)
        Version.objects.create(agreement=agreement, number=1, text=text, proposed_by=user)
        return agreement

    agreement, created = create_once(
        Agreement.objects.filter(created_by=user),
        client_id=client_id,
        sent={"team": team_id, "kind": kind, "text": text},
        stored=lambda first: {
            "team": first.team_id,
            "kind": first.kind,
            "text": first.versions.get(number=1).text,
        },
        create=create,
    )
    return agreement, created


def _team_member(user: User, agreement: Agreement) -> None:
    if not agreement.is_team_member:
        raise NotAllowed("Only the team's members can do that.", code="not_team_member")


@transaction.atomic
def agreement_propose(*, user: User, agreement_id: int, text: str, client_id: uuid.UUID) -> tuple[Version, bool]:
    """Any member proposes a new wording: a draft, numbered after every version so far."""
    _team_member(user, readable_agreement(user=user, agreement_id=agreement_id))
    person_lock(user=user)
    text = _text(text)

    def create() -> Version:
        agreement = _locked(agreement_id)
        return Version.objects.create(
            agreement=agreement, number=_next_number(agreement), text=text, proposed_by=user, client_id=client_id
        )

    return create_once(
        Version.objects.filter(proposed_by=user),
        client_id=client_id,
        sent={"agreement": agreement_id, "text": text},
        stored=lambda first: {"agreement": first.agreement_id, "text": first.text},
        create=create,
    )


def _adopt(
    *, agreement: Agreement, version: Version, by: User, review_on: date | None, session: GroupSession | None = None
) -> Version:
    """Make this version the current one (the one before it becomes past), restart the review
    clock, and tell the team. The agreement is locked by the caller."""
    now = timezone.now()
    Version.objects.filter(agreement=agreement, status=Version.Status.CURRENT).update(status=Version.Status.PAST)
    Version.objects.filter(pk=version.pk).update(
        status=Version.Status.CURRENT, adopted_by=by, adopted_at=now, session=session
    )
    agreement.review_on = review_on or (timezone.localdate() + timedelta(days=REVIEW_AFTER_DAYS))
    agreement.save(update_fields=["review_on"])
    teammates = Membership.objects.filter(team_id=agreement.team_id).exclude(user=by).values_list("user_id", flat=True)
    events_record(
        user_ids=teammates,
        type="agreement.adopted",
        data={
            "agreement_id": agreement.pk,
            "team_id": agreement.team_id,
            "kind": agreement.kind,
            "version": version.number,
            "adopted_by": public_person(by),
        },
    )
    return Version.objects.select_related("proposed_by", "adopted_by").get(pk=version.pk)


@transaction.atomic
def agreement_adopt(*, user: User, agreement_id: int, number: int, review_on: date | None = None) -> Version:
    """The lead makes a draft the team's current agreement. Adopting the current one again is
    a retry, answered as the first time; a version already replaced is refused."""
    if review_on is not None and review_on <= timezone.localdate():
        raise Invalid("A review date is in the future.", code="invalid", field="review_on")
    agreement = readable_agreement(user=user, agreement_id=agreement_id)
    if not Membership.objects.filter(team_id=agreement.team_id, user=user, role=Membership.Role.LEAD).exists():
        raise NotAllowed("Only the team's lead can adopt an agreement over the app.", code="not_team_lead")
    agreement = _locked(agreement_id)
    version = Version.objects.filter(agreement=agreement, number=number).first()
    if version is None:
        raise NotFound("No such version of this agreement.", code="version_not_found", field="version")
    if version.status == Version.Status.CURRENT:
        return Version.objects.select_related("proposed_by", "adopted_by").get(pk=version.pk)
    if version.status == Version.Status.PAST:
        raise Conflict("This version has been replaced: propose it again.", code="version_not_draft")
    return _adopt(agreement=agreement, version=version, by=user, review_on=review_on)


@transaction.atomic
def agreement_adopt_in_session(
    *,
    user: User,
    session_id: int,
    version: int,
    agreement_id: int | None = None,
    kind: str | None = None,
    share_ref: str | None = None,
    text: str | None = None,
) -> Version:
    """The facilitator adopts, as the next version of one of the team's agreements (named, or
    by kind: made if the team has none yet), a revealed share or words typed in the room.

    The words are proposed by the share's author, unless the share was anonymous (then by the
    facilitator, so adopting never unmasks anyone), and adopted by the facilitator at once:
    the team agreed it together. The session's version moves on, so a double tap adopts once.
    """
    if (agreement_id is None) == (kind is None):
        raise Invalid("Name the agreement, or its kind.", code="invalid", field="agreement")
    if (share_ref is None) == (text is None):
        raise Invalid("Adopt a revealed share, or typed words.", code="invalid", field="text")
    session = session_moment(user=user, session_id=session_id, version=version)
    if share_ref is not None:
        share = revealed_share(session=session, ref=share_ref)
        words, proposer = share.text, (user if share.anonymous else share.author)
    else:
        words, proposer = _text(text), user
    if agreement_id is not None:
        agreement = Agreement.objects.filter(pk=agreement_id, team_id=session.team_id).first()
        if agreement is None:
            raise NotFound("No such agreement of this team.", code="agreement_not_found", field="agreement")
    else:
        agreement, _ = Agreement.objects.get_or_create(
            team_id=session.team_id, kind=_kind(kind), defaults={"created_by": user}
        )
    agreement = _locked(agreement.pk)
    adopted = Version.objects.create(
        agreement=agreement, number=_next_number(agreement), text=words, proposed_by=proposer
    )
    return _adopt(agreement=agreement, version=adopted, by=user, review_on=None, session=session)


@transaction.atomic
def agreement_comment(*, user: User, agreement_id: int, text: str, client_id: uuid.UUID) -> tuple[Comment, bool]:
    """Someone of another team of the organisation says a short word on a team's contribution
    agreement (the only kind they can read); the team sees it."""
    agreement = readable_agreement(user=user, agreement_id=agreement_id)
    if agreement.is_team_member:
        raise NotAllowed("Comments come from the other teams.", code="own_team_agreement")
    person_lock(user=user)
    text = _text(text, limit=COMMENT_MAX_LENGTH, what="Write your comment.")
    comment, created = create_once(
        Comment.objects.filter(author=user),
        client_id=client_id,
        sent={"agreement": agreement_id, "text": text},
        stored=lambda first: {"agreement": first.agreement_id, "text": first.text},
        create=lambda: Comment.objects.create(agreement=agreement, author=user, text=text, client_id=client_id),
    )
    return Comment.objects.select_related("author").get(pk=comment.pk), created

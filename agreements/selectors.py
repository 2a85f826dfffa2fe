"""Reads of agreements. Who may read what:

- a contribution agreement is written for the other teams, so anyone of the team's organisation
  reads it (its versions too);
- every other kind is the team's alone: to anyone else it does not exist (404, as elsewhere);
- comments are the team's to read; someone of another team sees only their own.
"""

from datetime import date

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from accounts.models import User
from agreements.models import Agreement, Comment, Version
from common.errors import NotFound
from teams.models import Membership, Team


def _in_team(user: User) -> Exists:
    return Exists(Membership.objects.filter(team_id=OuterRef("team_id"), user=user))


def _readable(user: User) -> QuerySet[Agreement]:
    organisation_wide = Q(kind=Agreement.Kind.CONTRIBUTION, team__organisation_id=user.organisation_id)
    return Agreement.objects.annotate(is_team_member=_in_team(user)).filter(
        Q(is_team_member=True) | (organisation_wide if user.organisation_id else Q(pk__in=[]))
    )


def _current() -> Prefetch:
    return Prefetch(
        "versions",
        queryset=Version.objects.filter(status=Version.Status.CURRENT).select_related("proposed_by", "adopted_by"),
        to_attr="current_versions",
    )


def agreements_for_team(*, user: User, team_id: int) -> QuerySet[Agreement]:
    """The team's agreements with their current version: all of them for its members, the
    contribution agreement for the rest of its organisation."""
    if (
        not Team.objects.filter(pk=team_id)
        .filter(Q(memberships__user=user) | Q(organisation_id=user.organisation_id or 0))
        .exists()
    ):
        raise NotFound("No such team among yours.", code="team_not_found")
    return _readable(user).filter(team_id=team_id).prefetch_related(_current()).order_by("kind", "pk")


def agreement_for_viewer(*, user: User, agreement_id: int) -> Agreement:
    """One agreement as this person may read it: every version, newest first, and the comments
    they may see (`visible_comments`), oldest first."""
    comments = Comment.objects.select_related("author").order_by("created_at", "pk")
    agreement = (
        _readable(user)
        .filter(pk=agreement_id)
        .select_related("team")
        .prefetch_related(
            _current(),
            Prefetch(
                "versions",
                queryset=Version.objects.select_related("proposed_by", "adopted_by").order_by("-number"),
                to_attr="all_versions",
            ),
        )
        .first()
    )
    if agreement is None:
        raise NotFound("No such agreement for you.", code="agreement_not_found")
    visible = comments.filter(agreement=agreement)
    agreement.visible_comments = list(visible if agreement.is_team_member else visible.filter(author=user))
    return agreement


def readable_agreement(*, user: User, agreement_id: int) -> Agreement:
    """The agreement if this person may read it, with `is_team_member` said; else NotFound."""
    agreement = _readable(user).filter(pk=agreement_id).first()
    if agreement is None:
        raise NotFound("No such agreement for you.", code="agreement_not_found")
    return agreement


def adopted_versions_in_feed(*, team_id: int) -> QuerySet[Version]:
    """Adoptions of the team's agreements, each a moment of its feed."""
    return Version.objects.filter(agreement__team_id=team_id, adopted_at__isnull=False).select_related(
        "agreement", "proposed_by", "adopted_by"
    )


def agreements_due_for_review(*, user: User, day: date) -> list[Agreement]:
    """The agreements of this person's teams whose review date is that day, each marked
    `reviewer_leads` if this person leads its team."""
    leads = Exists(Membership.objects.filter(team_id=OuterRef("team_id"), user=user, role=Membership.Role.LEAD))
    return list(
        Agreement.objects.filter(team__memberships__user=user, review_on=day)
        .annotate(reviewer_leads=leads)
        .select_related("team")
        .order_by("pk")
    )


def members_reviewing(*, first: date, last: date) -> QuerySet:
    """Ids of the members of teams with an agreement to review between these days."""
    return Membership.objects.filter(team__agreements__review_on__range=(first, last)).values("user_id")

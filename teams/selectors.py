"""Reads about teams: whose they are, who is in them, and who is invited."""

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Organisation, User
from administration.selectors import is_organisation_admin
from common.errors import Conflict, NotAllowed, NotFound
from teams.models import CoachAssignment, Invitation, Membership, Team


def memberships_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("team")
        .annotate(member_count=Count("team__memberships"))
        .order_by("team__name", "team_id")
    )


def team_for_member(*, user: User, team_id: int) -> Team:
    """The team with its members, if this person is one of them; otherwise NotFound."""
    team = (
        Team.objects.filter(pk=team_id, memberships__user=user)
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by("user__display_name", "user_id"),
            )
        )
        .first()
    )
    if team is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    return team


def team_for_manager(*, user: User, team_id: int) -> Team:
    """The team, for whoever manages its memberships: its leads and its organisation's admins
    (the one guard of inviting, changing roles and removing people). Its other members are told
    it is not theirs to manage (403); anyone else cannot tell it exists (404); an archived team
    has nobody to manage (409)."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    if not (
        user.organisation_id == team.organisation_id
        and is_organisation_admin(user=user, organisation_id=team.organisation_id)
    ):
        role = Membership.objects.filter(team=team, user=user).values_list("role", flat=True).first()
        if role is None:
            raise NotFound("No such team among yours.", code="team_not_found")
        if role != Membership.Role.LEAD:
            raise NotAllowed(
                "Only the team's leads and the organisation's admins manage its people.", code="not_team_lead"
            )
    if team.archived_at is not None:
        raise Conflict("The team is archived: its admins restore it first.", code="team_archived")
    return team


def pending_invitations(*, user: User, team_id: int) -> QuerySet[Invitation]:
    """The team's invitations still waiting for an answer (not accepted, revoked or expired)."""
    team = team_for_manager(user=user, team_id=team_id)
    return _pending().filter(team=team).select_related("invited_by").order_by("-pk")


def pending_invitation_for(*, email: str) -> Invitation | None:
    """The newest invitation waiting for this email, whatever the team: an organisation's "yes"
    to this person, which lets them make an account there (accounts.services, Firebase sign-in)
    even when its email domain is not open to sign-up."""
    return _pending().filter(email=email.strip().lower()).select_related("team__organisation").order_by("-pk").first()


def _pending() -> QuerySet[Invitation]:
    return Invitation.objects.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


def member_of_team(*, user: User, team_id: int) -> RawSQL:
    """A condition true only when the person is in the team, for a query about the team's things
    to carry its own check (it does not depend on the row, so it is asked once per query).
    Written as SQL: as the ORM's Exists it cost more Python to build than a query of its own."""
    return RawSQL(
        f"EXISTS (SELECT 1 FROM {Membership._meta.db_table} WHERE team_id = %s AND user_id = %s)",
        (team_id, user.pk),
        output_field=BooleanField(),
    )


def require_member(*, user: User, team_id: int) -> None:
    if not Membership.objects.filter(team_id=team_id, user=user).exists():
        raise NotFound("No such team among yours.", code="team_not_found")


def teammate_ids(*, user: User) -> QuerySet:
    """Ids of everyone who shares a team with this person (themselves included)."""
    return Membership.objects.filter(team__memberships__user=user).values("user_id")


def is_coach(*, user: User) -> bool:
    return CoachAssignment.objects.filter(coach=user).exists()


@dataclass(frozen=True)
class Profile:
    user: User
    organisation: Organisation | None
    memberships: list[Membership]
    is_coach: bool


def profile_for(*, user: User) -> Profile:
    """A person's own view of themselves: organisation, teams with role, coach or not."""
    return Profile(
        user=user,
        organisation=Organisation.objects.filter(pk=user.organisation_id).first() if user.organisation_id else None,
        memberships=list(memberships_for_user(user=user)),
        is_coach=is_coach(user=user),
    )


def first_teammates_outside(
    *, people: list[User], passed_over: Callable[[OuterRef, OuterRef], QuerySet]
) -> dict[int, User | None]:
    """For each person, their active teammate with the lowest id for whom `passed_over(person,
    mate)` finds nothing (None when it finds something for every teammate): for many people at
    once, in two queries however large their teams."""
    firsts = dict(
        Membership.objects.filter(team__memberships__user__in=people, user__is_active=True)
        .annotate(person_id=F("team__memberships__user_id"))
        .filter(~Q(user_id=F("person_id")), ~Exists(passed_over(OuterRef("person_id"), OuterRef("user_id"))))
        .values_list("person_id")
        .annotate(first=Min("user_id"))
        .order_by()
    )
    mates = User.objects.in_bulk(firsts.values())
    return {person.pk: mates.get(firsts.get(person.pk)) for person in people}

"""Reads about teams: whose they are and who is in them."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Organisation, User
from common.errors import NotFound
from teams.models import CoachAssignment, Membership, Team


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


def first_teammate_outside(*, user: User, excluding: QuerySet) -> User | None:
    """The active teammate with the lowest id who is not among `excluding` (a subquery of ids)."""
    mate = (
        Membership.objects.filter(team__memberships__user=user, user__is_active=True)
        .exclude(user=user)
        .exclude(user_id__in=excluding)
        .select_related("user")
        .order_by("user_id")
        .first()
    )
    return mate.user if mate else None

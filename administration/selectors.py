"""Reads about an organisation's administration."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from accounts.models import Organisation, User
from administration.models import AuditEntry, OrganisationAdmin
from common.errors import NotAllowed, NotFound
from exercises.models import Theme, WithheldTheme
from teams.models import CoachAssignment, Membership, Team


def is_organisation_admin(*, user: User, organisation_id: int) -> bool:
    return OrganisationAdmin.objects.filter(user=user, organisation_id=organisation_id).exists()


def administered_organisations(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(admins__user=user).order_by("name", "pk")


def organisation_for_admin(*, user: User, organisation_id: int) -> Organisation:
    """The organisation, for one of its admins. Its other people are told it is not theirs to
    manage (403); anyone else cannot tell it exists (404)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or user.organisation_id != organisation.pk:
        raise NotFound("No such organisation.", code="organisation_not_found")
    if not is_organisation_admin(user=user, organisation_id=organisation.pk):
        raise NotAllowed("Only the organisation's admins manage it.", code="not_organisation_admin")
    return organisation


def audit_entries(*, organisation: Organisation) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(organisation=organisation).select_related("actor").order_by("-at", "-id")


def organisation_teams(*, organisation: Organisation, with_people: bool = False) -> QuerySet[Team]:
    """The organisation's teams, with how many people each has and who leads them; `with_people`,
    also who is in them (`people_in_it`, by email: the admins' page lists them). A query for the
    teams and one for each of those, however many teams."""
    memberships = Membership.objects.select_related("user")
    wanted = [Prefetch("memberships", queryset=memberships.filter(role=Membership.Role.LEAD), to_attr="leads")]
    if with_people:
        wanted.append(Prefetch("memberships", queryset=memberships.order_by("user__email"), to_attr="people_in_it"))
    return (
        Team.objects.filter(organisation=organisation)
        .annotate(people=Count("memberships"))
        .prefetch_related(*wanted)
        .order_by("name", "pk")
    )


def organisation_team(*, organisation: Organisation, team_id: int) -> Team:
    team = Team.objects.filter(organisation=organisation, pk=team_id).first()
    if team is None:
        raise NotFound("No such team in the organisation.", code="team_not_found")
    return team


def team_members(*, organisation: Organisation, team_id: int) -> QuerySet[Membership]:
    """Who is in one of the organisation's teams and in what role: what managing it needs, and
    nothing of what anyone did."""
    team = organisation_team(organisation=organisation, team_id=team_id)
    return team.memberships.select_related("user").order_by("user__email", "pk")


def organisation_coaches(*, organisation: Organisation) -> QuerySet[CoachAssignment]:
    return (
        CoachAssignment.objects.filter(organisation=organisation)
        .select_related("coach", "team")
        .order_by("coach__email", "pk")
    )


def organisation_admins(*, organisation: Organisation) -> QuerySet[OrganisationAdmin]:
    return OrganisationAdmin.objects.filter(organisation=organisation).select_related("user").order_by("user__email")


@dataclass(frozen=True)
class ThemeOffer:
    theme: Theme
    offered: bool


def themes_offered(*, organisation: Organisation) -> list[ThemeOffer]:
    """Every theme of the catalogue, and whether the organisation offers it to its people."""
    withheld = set(WithheldTheme.objects.filter(organisation=organisation).values_list("theme_id", flat=True))
    return [
        ThemeOffer(theme=theme, offered=theme.pk not in withheld)
        for theme in Theme.objects.order_by("position", "slug")
    ]


@dataclass(frozen=True)
class OrganisationSettings:
    organisation: Organisation
    domains: list[str]
    offers: list[ThemeOffer]


def organisation_settings(*, organisation: Organisation) -> OrganisationSettings:
    """What its admins set: name, sign-up policy and domains, k, and the themes offered."""
    return OrganisationSettings(
        organisation=organisation,
        domains=sorted(organisation.domains.values_list("domain", flat=True)),
        offers=themes_offered(organisation=organisation),
    )

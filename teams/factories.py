import factory

from accounts.factories import OrganisationFactory, UserFactory
from teams.models import CoachAssignment, Membership, Team


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..team.organisation"))
    role = Membership.Role.MEMBER


class CoachAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoachAssignment

    organisation = factory.SubFactory(OrganisationFactory)
    coach = factory.SubFactory(UserFactory, organisation=None)
    team = None

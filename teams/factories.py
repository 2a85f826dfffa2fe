from datetime import timedelta

import factory
from django.utils import timezone

from accounts.factories import OrganisationFactory, UserFactory
from common.digests import secret_digest
from teams.models import CoachAssignment, Invitation, Membership, Team


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


class InvitationFactory(factory.django.DjangoModelFactory):
    """A pending invitation whose link carries `token` (the database keeps its SHA-256)."""

    class Meta:
        model = Invitation

    class Params:
        token = factory.Sequence(lambda n: f"invitation-token-{n}")

    team = factory.SubFactory(TeamFactory)
    email = factory.Sequence(lambda n: f"invitee{n}@example.test")
    role = Membership.Role.MEMBER
    invited_by = None
    token_hash = factory.LazyAttribute(lambda o: secret_digest(o.token))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

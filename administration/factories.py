import factory

from accounts.factories import UserFactory
from administration.models import OrganisationAdmin


class OrganisationAdminFactory(factory.django.DjangoModelFactory):
    """An admin of the organisation, who belongs to it."""

    class Meta:
        model = OrganisationAdmin

    user = factory.SubFactory(UserFactory)
    organisation = factory.SelfAttribute("user.organisation")

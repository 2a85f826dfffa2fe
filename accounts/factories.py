from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from accounts.models import Organisation, OrganisationDomain, User

DEFAULT_PASSWORD = "a-long-test-password"


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")


class OrganisationDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationDomain

    organisation = factory.SubFactory(OrganisationFactory)
    domain = factory.Sequence(lambda n: f"org{n}.example")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    display_name = factory.Faker("first_name")
    organisation = factory.SubFactory(OrganisationFactory)
    time_zone = "UTC"

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.password = _hashed(extracted or DEFAULT_PASSWORD)
        if create:
            user.save(update_fields=["password"])


@cache
def _hashed(password: str) -> str:
    # Hashing is slow on purpose; made-up people (tests, demo) can share one salt and hash.
    return make_password(password)

import uuid

import factory

from agreements.models import Agreement, Comment, Version
from teams.factories import TeamFactory


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    team = factory.SubFactory(TeamFactory)
    kind = Agreement.Kind.CONTRIBUTION
    created_by = factory.SubFactory(
        "accounts.factories.UserFactory", organisation=factory.SelfAttribute("..team.organisation")
    )
    client_id = factory.LazyFunction(uuid.uuid4)


class VersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Version

    agreement = factory.SubFactory(AgreementFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Faker("sentence", nb_words=12)
    proposed_by = factory.SelfAttribute("agreement.created_by")
    client_id = factory.LazyFunction(uuid.uuid4)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    agreement = factory.SubFactory(AgreementFactory)
    author = factory.SubFactory("accounts.factories.UserFactory")
    text = factory.Faker("sentence", nb_words=8)
    client_id = factory.LazyFunction(uuid.uuid4)

import uuid

import factory

from orphans.models import Activity, Orphan
from teams.factories import TeamFactory


class OrphanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Orphan

    team = factory.SubFactory(TeamFactory)
    posted_by = factory.SubFactory(
        "accounts.factories.UserFactory", organisation=factory.SelfAttribute("..team.organisation")
    )
    title = factory.Faker("sentence", nb_words=6)
    client_id = factory.LazyFunction(uuid.uuid4)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    orphan = factory.SubFactory(OrphanFactory)
    kind = Activity.Kind.POSTED
    actor = factory.SelfAttribute("orphan.posted_by")

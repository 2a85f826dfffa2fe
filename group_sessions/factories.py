import uuid

import factory

from exercises.factories import ExerciseFactory
from exercises.models import Exercise
from group_sessions.models import Connection, GroupSession
from teams.factories import TeamFactory


class GroupSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GroupSession

    team = factory.SubFactory(TeamFactory)
    exercise = factory.SubFactory(ExerciseFactory, mode=Exercise.Mode.GROUP)
    started_by = factory.SubFactory(
        "accounts.factories.UserFactory", organisation=factory.SelfAttribute("..team.organisation")
    )
    facilitator = factory.SelfAttribute("started_by")
    client_id = factory.LazyFunction(uuid.uuid4)


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    session = factory.SubFactory(GroupSessionFactory)
    user = factory.SelfAttribute("session.started_by")
    channel_name = factory.LazyFunction(lambda: f"demo.{uuid.uuid4().hex}")

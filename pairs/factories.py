import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from pairs.models import Pair


class PairExerciseFactory(ExerciseFactory):
    """A pair exercise as the content pack writes them: a prompt, two shares, a reflection."""

    mode = Exercise.Mode.PAIR
    steps = factory.RelatedFactoryList(
        StepFactory,
        factory_related_name="exercise",
        size=4,
        position=factory.Iterator([1, 2, 3, 4]),
        kind=factory.Iterator([Step.Kind.PROMPT, Step.Kind.SHARE, Step.Kind.SHARE, Step.Kind.REFLECT]),
    )


class PairFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pair

    inviter = factory.SubFactory("accounts.factories.UserFactory")
    partner = factory.SubFactory(
        "accounts.factories.UserFactory", organisation=factory.SelfAttribute("..inviter.organisation")
    )
    exercise = factory.SubFactory(PairExerciseFactory)
    client_id = factory.LazyFunction(uuid.uuid4)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=72))

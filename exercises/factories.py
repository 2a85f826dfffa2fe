import uuid

import factory

from accounts.factories import UserFactory
from exercises.models import Exercise, Run, Step, Theme
from exercises.services import catalogue_changed, practice_rebuild


def _revision(item, create, extracted, **kwargs):
    """Something added to the catalogue is a change of it, recorded as every door that changes
    it records one (what servers and phones keep of the catalogue is read again)."""
    if create:
        catalogue_changed(cause="made by a test factory")


class ThemeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Theme
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"theme-{n}")
    name = factory.LazyAttribute(lambda theme: theme.slug.replace("-", " ").capitalize())
    summary = "A theme for tests."
    position = factory.Sequence(int)


class ExerciseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Exercise
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"exercise-{n}")
    theme = factory.SubFactory(ThemeFactory)
    title = factory.Sequence(lambda n: f"Exercise {n}")
    mode = Exercise.Mode.SOLO
    # As the content pack has it: a pair exercise needs a partner.
    needs = factory.LazyAttribute(
        lambda exercise: [Exercise.Need.PARTNER] if exercise.mode == Exercise.Mode.PAIR else []
    )
    duration_minutes = 5
    summary = "An exercise for tests."
    reflection_prompts = ["What did you notice?"]
    steps = factory.RelatedFactoryList("exercises.factories.StepFactory", factory_related_name="exercise", size=2)
    revision = factory.PostGeneration(_revision)


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Step
        skip_postgeneration_save = True

    exercise = factory.SubFactory(ExerciseFactory, steps=[])
    position = factory.Sequence(lambda n: n + 1)
    kind = Step.Kind.PROMPT
    text = "Do the thing."
    revision = factory.PostGeneration(_revision)


class RunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Run
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    exercise = factory.SubFactory(ExerciseFactory)
    client_id = factory.LazyFunction(uuid.uuid4)

    @factory.post_generation
    def practice(run, create, extracted, **kwargs):
        """A run made completed, at any date, is counted as run_complete counts one."""
        if create and run.completed_at is not None:
            practice_rebuild(user=run.user)


def group_exercise(*kinds: str, **fields) -> Exercise:
    """A group exercise whose steps are of these kinds, in order (a prompt, a share and a reflect
    step if none are named); a timer step lasts a minute."""
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[], **fields)
    for position, kind in enumerate(kinds or (Step.Kind.PROMPT, Step.Kind.SHARE, Step.Kind.REFLECT), 1):
        StepFactory(exercise=exercise, position=position, kind=kind, seconds=60 if kind == Step.Kind.TIMER else None)
    return exercise

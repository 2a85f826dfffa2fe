import uuid

import factory

from accounts.factories import UserFactory
from reflections import crypto
from reflections.models import Reflection


class ReflectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reflection
        exclude = ["body"]
        skip_postgeneration_save = True

    author = factory.SubFactory(UserFactory)
    body = factory.Faker("paragraph")
    body_ciphertext = factory.LazyAttribute(lambda reflection: crypto.encrypt(reflection.body))
    mood = 3
    client_id = factory.LazyFunction(uuid.uuid4)

    @factory.post_generation
    def themes(reflection, create, extracted, **kwargs):
        if create and extracted:
            reflection.themes.set(extracted)

import uuid

import factory

from accounts.factories import UserFactory
from acknowledgements.models import Acknowledgement, Reaction, Report


class AcknowledgementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Acknowledgement

    sender = factory.SubFactory(UserFactory)
    recipient = factory.SubFactory(UserFactory, organisation=factory.SelfAttribute("..sender.organisation"))
    organisation = factory.SelfAttribute("sender.organisation")
    message = factory.Faker("sentence")
    behaviour = Acknowledgement.Behaviour.HELPED
    visibility = Acknowledgement.Visibility.PRIVATE
    client_id = factory.LazyFunction(uuid.uuid4)


class ReactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reaction

    acknowledgement = factory.SubFactory(AcknowledgementFactory)
    user = factory.SelfAttribute("acknowledgement.sender")
    kind = Reaction.Kind.HEART


class ReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Report

    acknowledgement = factory.SubFactory(AcknowledgementFactory)
    reporter = factory.SelfAttribute("acknowledgement.recipient")

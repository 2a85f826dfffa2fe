import factory

from chat.models import Channel
from chat.webhooks import masked
from reflections import crypto
from teams.factories import TeamFactory


class ChannelFactory(factory.django.DjangoModelFactory):
    """A connected channel whose marks are now: it posts what happens from here on."""

    class Meta:
        model = Channel

    class Params:
        url = "https://hooks.slack.com/services/T0FACTORY/B0FACTORY/factorysecret0000000000"

    team = factory.SubFactory(TeamFactory)
    kind = Channel.Kind.SLACK
    url_ciphertext = factory.LazyAttribute(lambda channel: crypto.encrypt(channel.url) if channel.url else "")
    url_hint = factory.LazyAttribute(lambda channel: masked(channel.url) if channel.url else "")

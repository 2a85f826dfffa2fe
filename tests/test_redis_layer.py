"""The Redis channel layer sends a batch to many groups at once: what a worker's batch of nudges
puts on people's event streams. Runs on CI's second pass, against the real Redis (REDIS_URL)."""

import asyncio
import uuid

import pytest
from django.conf import settings

from realtime.layer import RedisChannelLayer

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL): CI's second pass")


@pytest.fixture
async def layer():
    layer = RedisChannelLayer(hosts=[settings.REDIS_URL], prefix=f"test-{uuid.uuid4().hex}")
    yield layer
    await layer.flush()
    await layer.close_pools()


async def test_each_message_reaches_every_channel_of_its_group_in_order(layer):
    phone, tablet, other = [await layer.new_channel() for _ in range(3)]
    await layer.group_add("user.1", phone)
    await layer.group_add("user.1", tablet)
    await layer.group_add("user.3", other)

    await layer.group_send_each(
        [
            ("user.1", {"type": "stream.event", "n": 1}),
            ("user.2", {"type": "stream.event", "n": 2}),
            ("user.3", {"type": "stream.event", "n": 3}),
            ("user.1", {"type": "stream.event", "n": 4}),
        ]
    )

    for channel in (phone, tablet):
        assert [(await layer.receive(channel))["n"] for _ in range(2)] == [1, 4]
    assert (await layer.receive(other))["n"] == 3


async def test_a_group_nobody_listens_to_is_asked_about_once_and_sent_nothing(layer, monkeypatch):
    listener = await layer.new_channel()
    await layer.group_add("user.7", listener)
    sent_to = []

    async def group_send(group, message):
        sent_to.append(group)

    monkeypatch.setattr(layer, "group_send", group_send)
    await layer.group_send_each([(f"user.{n}", {"type": "stream.event"}) for n in range(500)])

    assert sent_to == ["user.7"]


async def test_a_member_past_the_group_expiry_no_longer_counts_as_listening(layer, monkeypatch):
    layer.group_expiry = 1
    await layer.group_add("user.5", await layer.new_channel())
    await asyncio.sleep(2.1)
    sent_to = []

    async def group_send(group, message):
        sent_to.append(group)

    monkeypatch.setattr(layer, "group_send", group_send)
    await layer.group_send_each([("user.5", {"type": "stream.event"})])

    assert sent_to == []


async def test_a_hundred_and_fifty_streams_closing_at_once_each_leave_their_group(layer):
    """More at once than the pool holds connections (a server's phones going away together):
    each waits its turn for a connection instead of failing."""
    channels = [await layer.new_channel() for _ in range(150)]
    for n, channel in enumerate(channels):
        await layer.group_add(f"user.{n}", channel)

    await asyncio.gather(*(layer.group_discard(f"user.{n}", channel) for n, channel in enumerate(channels)))

    connection = layer.connection(0)
    assert [await connection.zcard(layer._group_key(f"user.{n}")) for n in range(150)] == [0] * 150

"""The per-user event stream: authentication, live delivery, replay with no gap and no
duplicate, resync, heartbeats and bad frames."""

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ConnectionTicket
from events.channels import user_group
from events.frames import event_frame
from events.models import Event, EventStream
from events.services import events_record
from tests.ws_clients import closed_with, connect, frame, fresh_channel_layer, send  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]

STREAM = "/ws/v1/events/"


def record(user, n=1):
    for i in range(n):
        events_record(
            user_ids=[user.pk],
            type="session.reflection_invite",
            data={"session_id": i, "team_id": 1, "exercise": {"slug": "s", "title": "t"}},
        )


def http(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# Who may connect


async def test_an_anonymous_connection_is_closed_with_4401():
    communicator = await connect(STREAM)
    assert await closed_with(communicator) == 4401


async def test_a_forged_token_is_closed_with_4401():
    communicator = await connect(STREAM, headers=[(b"authorization", b"Bearer not.a.token")])
    assert await closed_with(communicator) == 4401


async def test_a_token_in_the_url_is_not_accepted(member):
    from rest_framework_simplejwt.tokens import AccessToken

    token = await sync_to_async(lambda: str(AccessToken.for_user(member)))()
    communicator = await connect(f"{STREAM}?token={token}&access_token={token}")
    assert await closed_with(communicator) == 4401


async def test_a_ticket_opens_one_connection_once(member):
    body = (await sync_to_async(http(member).post)("/api/v1/realtime/ticket")).json()
    first = await connect(f"{STREAM}?ticket={body['ticket']}")
    await send(first, {"type": "ping"})
    assert await frame(first) == {"type": "pong"}
    await first.disconnect()
    second = await connect(f"{STREAM}?ticket={body['ticket']}")
    assert await closed_with(second) == 4401


async def test_an_expired_ticket_is_refused(member):
    body = (await sync_to_async(http(member).post)("/api/v1/realtime/ticket")).json()
    await sync_to_async(ConnectionTicket.objects.update)(expires_at=timezone.now())
    assert await closed_with(await connect(f"{STREAM}?ticket={body['ticket']}")) == 4401


async def test_a_browser_from_another_site_is_refused(member):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from tests.ws_clients import bearer

    headers = [(b"origin", b"https://evil.example")] + await sync_to_async(bearer)(member)
    connected, _ = await WebsocketCommunicator(application, STREAM, headers=headers).connect()
    assert not connected


# Live delivery


async def test_an_acknowledgement_arrives_live_on_the_recipients_stream(member, teammate):
    communicator = await connect(STREAM, member)
    response = await sync_to_async(http(teammate).post)(
        "/api/v1/acknowledgements",
        {
            "recipient": member.pk,
            "message": "Thanks for jumping in",
            "behaviour": "jumped_in",
            "visibility": "team",
            "client_id": "5a1f4c5e-0000-4000-8000-000000000001",
        },
        format="json",
    )
    assert response.status_code == 201
    received = await frame(communicator)
    assert set(received) == {"id", "type", "at", "data"}
    assert (received["id"], received["type"]) == (1, "acknowledgement.received")
    assert received["data"]["acknowledgement_id"] == response.json()["id"]
    assert received["data"]["sender"] == {"id": teammate.pk, "display_name": teammate.display_name}
    await communicator.disconnect()


async def test_a_reaction_reaches_the_sender_but_not_the_one_who_reacted(member, teammate):
    from acknowledgements.factories import AcknowledgementFactory

    acknowledgement = await sync_to_async(AcknowledgementFactory)(sender=teammate, recipient=member)
    sender_stream = await connect(STREAM, teammate)
    recipient_stream = await connect(STREAM, member)
    await sync_to_async(http(member).post)(f"/api/v1/acknowledgements/{acknowledgement.pk}/reactions/heart")
    received = await frame(sender_stream)
    assert (received["type"], received["data"]["kind"]) == ("acknowledgement.reaction", "heart")
    assert await recipient_stream.receive_nothing(timeout=0.3)
    await sender_stream.disconnect()
    await recipient_stream.disconnect()


async def test_every_device_of_a_person_gets_every_event(member):
    phone, tablet = await connect(STREAM, member), await connect(STREAM, member)
    await sync_to_async(record)(member)
    assert (await frame(phone))["id"] == (await frame(tablet))["id"] == 1
    await phone.disconnect()
    await tablet.disconnect()


async def test_a_fresh_connection_does_not_replay_the_past(member):
    await sync_to_async(record)(member, 3)
    communicator = await connect(STREAM, member)
    await sync_to_async(record)(member)
    assert (await frame(communicator))["id"] == 4
    await communicator.disconnect()


async def test_nobody_else_gets_my_events(member, teammate):
    communicator = await connect(STREAM, teammate)
    await sync_to_async(record)(member)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


# Replay


async def test_reconnecting_with_the_last_id_replays_what_was_missed_then_goes_live(member):
    await sync_to_async(record)(member, 3)
    communicator = await connect(f"{STREAM}?last_event_id=1", member)
    assert [(await frame(communicator))["id"] for _ in range(2)] == [2, 3]
    await sync_to_async(record)(member)
    assert (await frame(communicator))["id"] == 4
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_reconnecting_with_nothing_missed_replays_nothing(member):
    await sync_to_async(record)(member, 2)
    communicator = await connect(f"{STREAM}?last_event_id=2", member)
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_live_event_already_replayed_is_not_sent_twice(member, fresh_channel_layer):
    await sync_to_async(record)(member, 2)
    communicator = await connect(f"{STREAM}?last_event_id=0", member)
    assert [(await frame(communicator))["id"] for _ in range(2)] == [1, 2]
    second = await sync_to_async(lambda: event_frame(Event.objects.get(user=member, number=2)))()
    await fresh_channel_layer.group_send(user_group(member.pk), {"type": "stream.event", "event": second})
    assert await communicator.receive_nothing(timeout=0.3)
    await communicator.disconnect()


async def test_a_lost_push_is_filled_from_the_log_in_order(member, fresh_channel_layer):
    communicator = await connect(STREAM, member)

    def two_events_only_the_second_pushed():
        EventStream.objects.create(user=member, last_number=2)
        Event.objects.create(user=member, number=1, type="session.started")
        return event_frame(Event.objects.create(user=member, number=2, type="session.started"))

    second = await sync_to_async(two_events_only_the_second_pushed)()
    await fresh_channel_layer.group_send(user_group(member.pk), {"type": "stream.event", "event": second})
    assert [(await frame(communicator))["id"] for _ in range(2)] == [1, 2]
    await communicator.disconnect()


async def test_a_cursor_older_than_the_retention_window_asks_for_a_resync(member):
    await sync_to_async(record)(member, 5)
    await sync_to_async(EventStream.objects.filter(user=member).update)(pruned_through=3)
    communicator = await connect(f"{STREAM}?last_event_id=2", member)
    assert await frame(communicator) == {"type": "resync_required"}
    await sync_to_async(record)(member)
    assert (await frame(communicator))["id"] == 6
    await communicator.disconnect()


@pytest.mark.parametrize("cursor", ["99", "-1", "abc"])
async def test_a_cursor_that_makes_no_sense_asks_for_a_resync(member, cursor):
    await sync_to_async(record)(member, 2)
    communicator = await connect(f"{STREAM}?last_event_id={cursor}", member)
    assert await frame(communicator) == {"type": "resync_required"}
    await communicator.disconnect()


def test_pruning_forgets_old_events_and_remembers_how_far(member):
    from datetime import timedelta

    from events.selectors import events_after
    from events.services import events_prune

    record(member, 3)
    Event.objects.filter(number__lte=2).update(created_at=timezone.now() - timedelta(days=31))
    assert events_prune(older_than=timezone.now() - timedelta(days=30)) == 2
    assert events_after(user_id=member.pk, after=1).resync_required
    assert [e.number for e in events_after(user_id=member.pk, after=2).events] == [3]


# Heartbeats and bad frames


async def test_the_server_sends_heartbeats(member, settings):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.05
    communicator = await connect(STREAM, member)
    assert (await frame(communicator, skip=()))["type"] == "heartbeat"
    await communicator.disconnect()


@pytest.mark.parametrize(
    "payload, code",
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "invalid_frame"),
        ('{"no": "type"}', "invalid_frame"),
        ('{"type": "launch"}', "unknown_type"),
        ('{"type": "ping", "pad": "' + "x" * 9000 + '"}', "frame_too_large"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_and_the_connection_stays(member, payload, code):
    communicator = await connect(STREAM, member)
    await send(communicator, payload)
    assert (await frame(communicator))["code"] == code
    await send(communicator, {"type": "ping"})
    assert await frame(communicator) == {"type": "pong"}
    await communicator.disconnect()


def test_every_event_type_is_documented_with_its_data_keys():
    import re
    from pathlib import Path

    from events.types import EVENT_TYPES

    readme = Path(__file__).resolve().parent.parent.joinpath("README.md").read_text()
    for type, keys in EVENT_TYPES.items():
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{type}` |")), None)
        assert row is not None, f"{type} is not in the README's event table"
        documented = row.split("|")[2]
        named = set(re.findall(r"`([a-z_]+)(?: \{[^`]*\})?`", documented))
        assert named == set(keys), type


def test_an_undocumented_event_is_refused(member):
    with pytest.raises(ValueError):
        events_record(user_ids=[member.pk], type="made.up", data={})

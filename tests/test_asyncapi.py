"""The WebSocket protocol's AsyncAPI document, served at /api/asyncapi.json, says what the
server really sends: real frames from a real event stream and a real session room are checked
against the document's message schemas, and the frames a client sends against its commands."""

import uuid

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from jsonschema import Draft7Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7
from rest_framework.test import APIClient

from events.types import EVENT_TYPES
from exercises.factories import group_exercise
from exercises.models import Exercise, Step
from group_sessions.services import session_start
from realtime.consumers import EventStreamConsumer, SessionRoomConsumer
from tests.ws_clients import closed_with, connect, frame, frame_of, fresh_channel_layer, send  # noqa: F401

DOCUMENT_URI = "urn:humble:asyncapi"


def fetch_document() -> dict:
    response = Client().get("/api/asyncapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


class Protocol:
    """The document, able to say whether a frame is one it describes."""

    def __init__(self, document: dict):
        self.document = document
        self.registry = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, DRAFT7))

    def _messages(self, channel: str, action: str) -> dict[str, str]:
        """Frame type -> message id, for what the channel's `action` operation carries."""
        [operation] = [
            op
            for op in self.document["operations"].values()
            if op["action"] == action and op["channel"]["$ref"] == f"#/channels/{channel}"
        ]
        by_type = {}
        for reference in operation["messages"]:
            message_id = reference["$ref"].rsplit("/", 1)[1]
            payload = self.document["components"]["messages"][message_id]["payload"]
            by_type[payload["properties"]["type"]["const"]] = message_id
        return by_type

    def check(self, channel: str, received: dict, *, action: str = "receive") -> None:
        """Raises if the frame's type is not documented there, or the frame not as documented."""
        message_id = self._messages(channel, action)[received["type"]]
        schema = {"$ref": f"{DOCUMENT_URI}#/components/messages/{message_id}/payload"}
        Draft7Validator(schema, registry=self.registry).validate(received)


@pytest.fixture
def protocol(db) -> Protocol:
    return Protocol(fetch_document())


@pytest.fixture
def quick_heartbeats(settings):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.05


def timed_share_exercise() -> Exercise:
    return group_exercise(Step.Kind.TIMER, Step.Kind.SHARE)


def http(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


# The document itself


@pytest.mark.django_db
def test_the_document_is_asyncapi_3_and_every_reference_in_it_resolves():
    document = fetch_document()
    assert document["asyncapi"].startswith("3.")
    assert document["servers"]["humble"]["protocol"] == "ws"

    def references(node):
        if isinstance(node, dict):
            if "$ref" in node:
                yield node["$ref"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for item in node:
                yield from references(item)

    resolver = Registry().with_resource(DOCUMENT_URI, Resource.from_contents(document, DRAFT7)).resolver()
    found = list(references(document))
    assert len(found) > 50
    for reference in found:
        resolver.lookup(DOCUMENT_URI + reference)  # raises on a dangling reference


@pytest.mark.django_db
def test_every_event_type_and_every_command_of_the_code_is_in_the_document(protocol):
    assert set(EVENT_TYPES) <= set(protocol._messages("events", "receive"))
    assert set(protocol._messages("events", "send")) == set(EventStreamConsumer.commands)
    assert set(protocol._messages("session", "send")) == set(SessionRoomConsumer.commands)
    for event_type, keys in EVENT_TYPES.items():
        message_id = protocol._messages("events", "receive")[event_type]
        data = protocol.document["components"]["messages"][message_id]["payload"]["properties"]["data"]
        assert set(data["required"]) == keys


@pytest.mark.django_db
def test_a_frame_with_an_undocumented_key_does_not_conform(protocol):
    """The check is strict enough to fail: a key the document does not name is an error."""
    protocol.check("session", {"type": "round.progress", "step": 2, "count": 1})
    with pytest.raises(ValidationError):
        protocol.check("session", {"type": "round.progress", "step": 2, "count": 1, "who": "Sam"})
    with pytest.raises(KeyError):
        protocol.check("session", {"type": "no.such.frame"})


# What the server really sends


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer", "quick_heartbeats")
async def test_the_event_stream_sends_what_the_document_describes(protocol, member, teammate):
    stream = await connect("/ws/v1/events/?last_event_id=not-a-number", member)
    try:
        received = [await frame(stream, skip=())]  # resync_required: that cursor makes no sense
        response = await sync_to_async(http(teammate).post)(
            "/api/v1/acknowledgements",
            {
                "recipient": member.pk,
                "message": "Thanks for the review",
                "behaviour": "helped",
                "visibility": "private",
                "client_id": str(uuid.uuid4()),
            },
            format="json",
        )
        acknowledgement_id = response.json()["id"]
        received.append(await frame_of(stream, "acknowledgement.received"))
        await send(stream, {"type": "ping"})
        await send(stream, "{not json")
        received.append(await frame_of(stream, "pong"))
        received.append(await frame_of(stream, "error"))
        received.append(await frame(stream, skip=()))  # heartbeats come every 50 ms
        while received[-1]["type"] != "heartbeat":
            received.append(await frame(stream, skip=()))
    finally:
        await stream.disconnect()

    reacted = await sync_to_async(http(member).post)(f"/api/v1/acknowledgements/{acknowledgement_id}/reactions/heart")
    assert reacted.status_code == 200
    sender_stream = await connect("/ws/v1/events/?last_event_id=0", teammate)
    try:
        received.append(await frame_of(sender_stream, "acknowledgement.reaction"))
    finally:
        await sender_stream.disconnect()

    types = [each["type"] for each in received]
    for expected in (
        "resync_required",
        "acknowledgement.received",
        "pong",
        "error",
        "heartbeat",
        "acknowledgement.reaction",
    ):
        assert expected in types
    for each in received:
        protocol.check("events", each)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer", "quick_heartbeats")
async def test_a_session_room_sends_what_the_document_describes_and_accepts_its_commands(protocol, team, lead, member):
    session, _ = await sync_to_async(session_start)(
        lead=lead, team_id=team.pk, exercise_slug=(await sync_to_async(group_exercise)()).slug, client_id=uuid.uuid4()
    )
    received = []

    async def command(room, payload):
        protocol.check("session", payload, action="send")
        await send(room, payload)

    lead_room = await connect(f"/ws/v1/sessions/{session.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{session.pk}/", member)
    try:
        snapshot = await frame_of(lead_room, "snapshot")
        received += [snapshot, await frame_of(member_room, "snapshot"), await frame_of(lead_room, "presence")]
        version = snapshot["session"]["version"]
        await command(lead_room, {"type": "start", "version": version})
        state = await frame_of(lead_room, "state")
        await command(lead_room, {"type": "next", "version": state["session"]["version"]})
        state = await frame_of(lead_room, "state")
        received += [state]
        await command(member_room, {"type": "share", "step": 2, "text": "I felt heard", "anonymous": True})
        received += [await frame_of(member_room, "answer.accepted"), await frame_of(lead_room, "round.progress")]
        await command(lead_room, {"type": "reveal", "version": state["session"]["version"]})
        received += [await frame_of(lead_room, "state"), await frame_of(member_room, "round")]
        await command(lead_room, {"type": "reveal", "version": 1})
        received += [await frame_of(lead_room, "error")]
        await command(member_room, {"type": "ping"})
        received += [await frame_of(member_room, "pong"), await frame(member_room, skip=())]
        while received[-1]["type"] != "heartbeat":
            received.append(await frame(member_room, skip=()))
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()

    types = {each["type"] for each in received}
    assert {
        "snapshot",
        "presence",
        "state",
        "answer.accepted",
        "round.progress",
        "round",
        "error",
        "pong",
        "heartbeat",
    } <= types
    for each in received:
        protocol.check("session", each)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_the_close_codes_the_server_uses_are_documented(protocol, team, lead, outsider):
    session, _ = await sync_to_async(session_start)(
        lead=lead, team_id=team.pk, exercise_slug=(await sync_to_async(group_exercise)()).slug, client_id=uuid.uuid4()
    )
    refusals = [
        (await connect("/ws/v1/events/"), "anonymous"),
        (await connect(f"/ws/v1/sessions/{session.pk}/", outsider), "not in the team"),
        (await connect("/ws/v1/no/such/path/", lead), "no such path"),
    ]
    documented = protocol.document["x-close-codes"]
    for communicator, who in refusals:
        code = await closed_with(communicator)
        await communicator.disconnect()
        assert str(code) in documented, f"{who}: {code} is not documented"

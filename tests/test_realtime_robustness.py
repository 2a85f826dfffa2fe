"""The WebSocket door under hostile input: no frame, query string or path crashes a connection
into a 1011 or a handshake 500, and a connection that does end for an unexpected reason leaves
nothing behind (no heartbeat beating on its own, no ghost presence in a room)."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from group_sessions.factories import GroupSessionFactory
from group_sessions.models import Connection
from group_sessions.selectors import present_user_ids
from realtime.consumers import EventStreamConsumer, SessionRoomConsumer
from tests.ws_clients import WAIT, closed_with, connect, frame, frame_of, fresh_channel_layer, send  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]

STREAM = "/ws/v1/events/"
NESTED_BRACKETS = "[" * 2000 + "]" * 2000  # 4 KB: under the frame limit, deeper than json can follow
NESTED_OBJECTS = '{"a":' * 1200 + "1" + "}" * 1200  # 7 KB


def heartbeats_running() -> list[asyncio.Task]:
    return [
        task
        for task in asyncio.all_tasks()
        if not task.done() and getattr(task.get_coro(), "__qualname__", "").endswith("RealtimeConsumer._beat")
    ]


async def eventually(condition) -> None:
    for _ in range(60):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")


async def close_code(communicator) -> int:
    """The close code, passing over the frames sent before it."""
    while True:
        output = await communicator.receive_output(timeout=WAIT)
        if output["type"] == "websocket.close":
            return output["code"]


@pytest.fixture
def live_room(team, member):
    return GroupSessionFactory(team=team, started_by=member)


@pytest.mark.parametrize("payload", [NESTED_BRACKETS, NESTED_OBJECTS], ids=["brackets", "objects"])
async def test_a_deeply_nested_frame_is_an_invalid_json_error_and_the_connection_carries_on(member, payload):
    communicator = await connect(STREAM, member)
    await send(communicator, payload)
    assert (await frame(communicator))["code"] == "invalid_json"
    await send(communicator, {"type": "ping"})
    assert await frame(communicator) == {"type": "pong"}
    await communicator.disconnect()


async def test_a_deeply_nested_frame_in_a_room_leaves_its_member_present(live_room, member):
    communicator = await connect(f"/ws/v1/sessions/{live_room.pk}/", member)
    await frame_of(communicator, "snapshot")
    await send(communicator, NESTED_BRACKETS)
    assert (await frame_of(communicator, "error"))["code"] == "invalid_json"
    assert await database_sync_to_async(present_user_ids)(session_id=live_room.pk) == [member.pk]
    await communicator.disconnect()


async def test_a_handler_that_fails_closes_with_1011_and_stops_the_heartbeat(member, monkeypatch):
    async def fails(self, frame):
        raise RuntimeError("a bug")

    monkeypatch.setattr(EventStreamConsumer, "ping", fails)
    communicator = await connect(STREAM, member)
    await eventually(heartbeats_running)
    await send(communicator, {"type": "ping"})
    assert await close_code(communicator) == 1011
    await communicator.wait()
    assert heartbeats_running() == []


async def test_a_room_connection_that_fails_leaves_the_room(live_room, member, monkeypatch):
    async def fails(self, frame):
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionRoomConsumer, "command_checkin", fails)
    communicator = await connect(f"/ws/v1/sessions/{live_room.pk}/", member)
    await frame_of(communicator, "snapshot")
    await send(communicator, {"type": "checkin", "step": 1, "value": 3})
    assert await close_code(communicator) == 1011
    await communicator.wait()
    assert heartbeats_running() == []
    connection = await database_sync_to_async(Connection.objects.get)(session=live_room, user=member)
    assert connection.closed_at is not None  # gone once the grace period is over, like any departure


@pytest.mark.parametrize("value", ["²", "٣", "-1", "9" * 30, "1e3", "0x10", " 1", "1.0"])
async def test_a_last_event_id_that_is_no_event_number_asks_for_a_resync(member, value):
    communicator = await connect(f"{STREAM}?last_event_id={value}", member)
    assert await frame(communicator) == {"type": "resync_required"}
    await communicator.disconnect()


UNKNOWN_PATHS = ["/ws/v1/nope/", "/", "/ws/v1/sessions/abc/", "/ws/v1/sessions/1/extra/", "/api/v1/me"]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
async def test_an_unknown_path_is_closed_with_4404(member, path):
    communicator = await connect(path, member)
    assert await closed_with(communicator) == 4404
    await communicator.disconnect()


async def test_an_unknown_path_is_closed_with_4404_for_anonymous_callers_too():
    communicator = await connect("/ws/v2/events/")
    assert await closed_with(communicator) == 4404
    await communicator.disconnect()

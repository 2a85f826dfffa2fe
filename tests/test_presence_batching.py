"""Presence is kept once per server process, not once per connection: on every heartbeat
interval one write marks all of a process's room connections seen, and each room is swept once,
so a room of two hundred costs a process the queries of a room of one."""

import asyncio
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from group_sessions import services as sessions
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import Connection
from group_sessions.services import session_heartbeat
from pairs.factories import PairFactory
from pairs.models import PairConnection
from pairs.services import pair_connect, pair_heartbeat
from realtime.consumers import SessionRoomConsumer
from realtime.presence import beat
from tests.ws_clients import connect, frame_of, fresh_channel_layer  # noqa: F401

A_WHILE_AGO = timedelta(seconds=5)


@pytest.mark.django_db
def test_one_write_marks_all_of_a_process_s_session_connections_seen(django_assert_num_queries):
    session = GroupSessionFactory()
    earlier = timezone.now() - A_WHILE_AGO
    open_ones = ConnectionFactory.create_batch(30, session=session, last_seen_at=earlier)
    closed = ConnectionFactory(session=session, last_seen_at=earlier, closed_at=earlier)

    with django_assert_num_queries(1):
        session_heartbeat(channel_names=[c.channel_name for c in [*open_ones, closed]])

    seen = dict(Connection.objects.values_list("channel_name", "last_seen_at"))
    assert all(seen[c.channel_name] > earlier for c in open_ones)
    assert seen[closed.channel_name] == earlier  # a closed connection is not brought back


@pytest.mark.django_db
def test_one_write_marks_all_of_a_process_s_pair_connections_seen(django_assert_num_queries):
    pair = PairFactory()
    names = [f"pair-test.{n}" for n in range(4)]
    for index, name in enumerate(names):
        pair_connect(user=pair.inviter if index % 2 else pair.partner, pair_id=pair.pk, channel_name=name)
    earlier = timezone.now() - A_WHILE_AGO
    PairConnection.objects.update(last_seen_at=earlier)

    with django_assert_num_queries(1):
        pair_heartbeat(channel_names=names)

    assert all(seen > earlier for seen in PairConnection.objects.values_list("last_seen_at", flat=True))


def queries_of_one_interval(session, connections: int) -> int:
    held = {
        SessionRoomConsumer: {
            c.channel_name: session.pk for c in ConnectionFactory.create_batch(connections, session=session)
        }
    }
    beat(held)  # the first interval announces who arrived; the one measured finds nothing new
    with CaptureQueriesContext(connection) as captured:
        beat(held)
    return len(captured)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
def test_an_interval_costs_the_same_queries_for_three_connections_as_for_thirty():
    assert queries_of_one_interval(GroupSessionFactory(), 3) == queries_of_one_interval(GroupSessionFactory(), 30)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_a_process_marks_all_its_connections_seen_together_once_an_interval(settings, monkeypatch, team, lead):
    settings.REALTIME_HEARTBEAT_SECONDS = 0.2
    calls = []

    def heartbeat(*, channel_names):
        calls.append(sorted(channel_names))
        session_heartbeat(channel_names=channel_names)

    monkeypatch.setattr(sessions, "session_heartbeat", heartbeat)
    session = await database_sync_to_async(GroupSessionFactory)(team=team, started_by=lead)
    rooms = [await connect(f"/ws/v1/sessions/{session.pk}/", lead) for _ in range(4)]
    for room in rooms:
        await frame_of(room, "snapshot")
    names = sorted(
        await database_sync_to_async(list)(
            Connection.objects.filter(session=session).values_list("channel_name", flat=True)
        )
    )
    first, began = len(calls), asyncio.get_running_loop().time()
    await eventually(lambda: len(calls) >= first + 3)
    elapsed = asyncio.get_running_loop().time() - began
    assert all(call == names for call in calls[first + 1 :])  # every connection, in one write
    assert len(calls) - first <= elapsed / settings.REALTIME_HEARTBEAT_SECONDS + 1  # once an interval

    await rooms[0].disconnect()
    left = len(calls)
    await eventually(lambda: len(calls) > left)
    assert len(calls[-1]) == 3
    for room in rooms[1:]:
        await room.disconnect()


async def eventually(condition) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("never happened")

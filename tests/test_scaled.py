"""Two real Daphne processes behind one PostgreSQL and one Redis: what happens on one reaches
clients connected to the other. Needs the Redis channel layer, so it runs in CI's PostgreSQL +
Redis pass (HUMBLE_REQUIRE_SERVICES=1, which also makes a missing service fail, not skip)."""

import asyncio
import json
import os
import signal
import uuid

import pytest
import requests
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from exercises.factories import group_exercise
from group_sessions.factories import GroupSessionFactory
from tests.daphne import daphne_processes, next_frame, token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not settings.REDIS_URL or connection.vendor != "postgresql",
        reason="two processes need the Redis channel layer and PostgreSQL: runs in CI's second pass",
    ),
]

WAIT = 10


def database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    return f"postgres://{user}@{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


def shared_env(tmp_path) -> dict:
    return {
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "REFLECTION_KEYS": ",".join(settings.REFLECTION_KEYS),
        "HUMBLE_VAR_DIR": str(tmp_path),
    }


@pytest.fixture
def two_servers(tmp_path):
    """Two Daphne processes on loopback sharing the test database and Redis."""
    with daphne_processes(2, env=shared_env(tmp_path), log_dir=tmp_path) as servers:
        yield [address for address, _ in servers]


@pytest.fixture
def two_quickly_beating_servers(tmp_path):
    """The same, with a one-second heartbeat: a connection unheard of for three is gone."""
    env = {**shared_env(tmp_path), "REALTIME_HEARTBEAT_SECONDS": "1"}
    with daphne_processes(2, env=env, log_dir=tmp_path) as servers:
        yield servers


async def test_a_lead_on_one_process_steps_a_member_on_the_other(two_servers, lead, member, team):
    first, second = two_servers
    exercise = await sync_to_async(group_exercise)()
    lead_auth = {"Authorization": f"Bearer {await sync_to_async(token)(lead)}"}
    member_auth = {"Authorization": f"Bearer {await sync_to_async(token)(member)}"}

    async with websockets.connect(f"ws://{second}/ws/v1/events/", additional_headers=member_auth) as stream:
        started = await asyncio.to_thread(
            requests.post,
            f"http://{first}/api/v1/teams/{team.pk}/sessions",
            json={"exercise": exercise.slug, "client_id": str(uuid.uuid4())},
            headers=lead_auth,
            timeout=WAIT,
        )
        assert started.status_code == 201, started.text
        session_id = started.json()["id"]
        told = await next_frame(stream, "session.started")
        assert told["data"]["session_id"] == session_id

    async with (
        websockets.connect(f"ws://{first}/ws/v1/sessions/{session_id}/", additional_headers=lead_auth) as lead_room,
        websockets.connect(
            f"ws://{second}/ws/v1/sessions/{session_id}/", additional_headers=member_auth
        ) as member_room,
    ):
        snapshot = (await next_frame(lead_room, "snapshot"))["session"]
        await next_frame(member_room, "snapshot")
        await lead_room.send(json.dumps({"type": "start", "version": snapshot["version"]}))
        state = (await next_frame(member_room, "state"))["session"]
        assert (state["phase"], state["step"]) == ("step", 1)
        await lead_room.send(json.dumps({"type": "next", "version": state["version"]}))
        assert (await next_frame(member_room, "state"))["session"]["step"] == 2


async def test_an_acknowledgement_posted_on_one_process_reaches_a_stream_on_the_other(two_servers, member, teammate):
    first, second = two_servers
    member_auth = {"Authorization": f"Bearer {await sync_to_async(token)(member)}"}
    teammate_auth = {"Authorization": f"Bearer {await sync_to_async(token)(teammate)}"}
    async with websockets.connect(f"ws://{second}/ws/v1/events/", additional_headers=member_auth) as stream:
        sent = await asyncio.to_thread(
            requests.post,
            f"http://{first}/api/v1/acknowledgements",
            json={
                "recipient": member.pk,
                "message": "You saw what I meant",
                "behaviour": "saw_me",
                "visibility": "private",
                "client_id": str(uuid.uuid4()),
            },
            headers=teammate_auth,
            timeout=WAIT,
        )
        assert sent.status_code == 201, sent.text
        received = await next_frame(stream, "acknowledgement.received")
        assert received["data"]["acknowledgement_id"] == sent.json()["id"]


async def test_presence_spans_processes_and_a_process_that_dies_takes_its_people_away(
    two_quickly_beating_servers, lead, member, team
):
    (first, _), (second, second_pid) = two_quickly_beating_servers
    session = await sync_to_async(GroupSessionFactory)(
        team=team, started_by=lead, exercise=await sync_to_async(group_exercise)()
    )
    path = f"/ws/v1/sessions/{session.pk}/"
    lead_auth = {"Authorization": f"Bearer {await sync_to_async(token)(lead)}"}
    member_auth = {"Authorization": f"Bearer {await sync_to_async(token)(member)}"}
    async with websockets.connect(f"ws://{first}{path}", additional_headers=lead_auth) as lead_room:
        member_room = await websockets.connect(f"ws://{second}{path}", additional_headers=member_auth)
        await presence_of(lead_room, [lead.pk, member.pk])

        os.kill(second_pid, signal.SIGKILL)  # no close, no goodbye: its connections just stop being seen

        await presence_of(lead_room, [lead.pk])
        member_room.transport.abort()


async def presence_of(ws, user_ids: list[int]) -> None:
    """Presence frames until one lists exactly these people."""
    while sorted(p["id"] for p in (await next_frame(ws, "presence"))["present"]) != sorted(user_ids):
        pass

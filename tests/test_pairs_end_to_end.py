"""A pair exercise as two phones do it, against two real Daphne processes sharing PostgreSQL and
Redis: the invitation over HTTP reaches the partner's event stream on the other process, the
two meet in the room from different processes, one answer stays hidden until the other answers
over HTTP, and moving past the last step completes the pair and prompts both. Runs in CI's
PostgreSQL + Redis pass, like tests/test_scaled.py."""

import asyncio
import json
import uuid

import requests
import websockets
from asgiref.sync import sync_to_async

from pairs.factories import PairExerciseFactory
from tests.test_scaled import next_frame, pytestmark, token, two_servers  # noqa: F401

WAIT = 10


async def post(server: str, path: str, user_token: str, body: dict | None = None) -> dict:
    response = await asyncio.to_thread(
        requests.post,
        f"http://{server}/api/v1/{path}",
        json=body or {},
        headers={"Authorization": f"Bearer {user_token}"},
    )
    assert response.status_code in (200, 201), response.text
    return response.json()


async def test_two_phones_on_two_processes_do_a_pair_exercise_from_invitation_to_prompt(two_servers, member, teammate):
    first, second = two_servers
    exercise = await sync_to_async(PairExerciseFactory)()
    mine, theirs = await sync_to_async(token)(member), await sync_to_async(token)(teammate)
    auth = {"Authorization": f"Bearer {theirs}"}

    async with websockets.connect(f"ws://{second}/ws/v1/events/", additional_headers=auth) as partner_stream:
        invitation = await post(
            first,
            "pairs",
            mine,
            {"exercise": exercise.slug, "partner": teammate.pk, "note": "Coffee chat?", "client_id": str(uuid.uuid4())},
        )
        invited = await next_frame(partner_stream, "pair.invited")
        assert invited["data"]["pair_id"] == invitation["id"]

        pair = await post(second, f"pairs/{invitation['id']}/accept", theirs)
        assert pair["status"] == "active"

        room = f"/ws/v1/pairs/{pair['id']}/"
        async with (
            websockets.connect(f"ws://{first}{room}", additional_headers={"Authorization": f"Bearer {mine}"}) as me,
            websockets.connect(f"ws://{second}{room}", additional_headers=auth) as partner,
        ):
            version = (await next_frame(me, "snapshot"))["pair"]["version"]
            await next_frame(partner, "snapshot")
            for step in (1, 2):
                await me.send(json.dumps({"type": "next", "version": version}))
                state = (await next_frame(partner, "state"))["pair"]
                assert state["step"] == step
                version = state["version"]

            await me.send(json.dumps({"type": "answer", "step": 2, "text": "I recharge on long walks"}))
            assert (await next_frame(partner, "answered"))["by"]["id"] == member.pk
            await post(second, f"pairs/{pair['id']}/answers", theirs, {"step": 2, "text": "Cooking for friends"})
            for phone in (me, partner):
                revealed = (await next_frame(phone, "round"))["round"]
                assert {answer["text"] for answer in revealed["answers"]} == {
                    "I recharge on long walks",
                    "Cooking for friends",
                }

            while state["status"] != "completed":
                await partner.send(json.dumps({"type": "next", "version": version}))
                state = (await next_frame(me, "state"))["pair"]
                version = state["version"]

        completed = await next_frame(partner_stream, "pair.completed")
        assert completed["data"]["pair_id"] == pair["id"]

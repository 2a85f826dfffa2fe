"""A pair live in its room: the same WebSocket protocol as group sessions' rooms, sized for two.
Either of them moves the steps on; answers stay hidden until both answered; the state comes
from the database, so a reconnect finds the pair where it was."""

import re
import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from events.models import Event
from pairs.factories import PairExerciseFactory
from pairs.frames import PAIR_ROOM_FRAMES
from pairs.services import pair_accept, pair_answer, pair_invite
from tests.test_asyncapi import Protocol, fetch_document
from tests.ws_clients import closed_with, connect, frame_of, fresh_channel_layer, send  # noqa: F401

README = Path(__file__).resolve().parent.parent / "README.md"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]


def make_pair(inviter, partner):
    pair, _ = pair_invite(
        inviter=inviter,
        exercise_slug=PairExerciseFactory().slug,
        partner_id=partner.pk,
        note="",
        client_id=uuid.uuid4(),
    )
    return pair_accept(user=partner, pair_id=pair.pk)


@pytest.fixture
def pair(member, teammate):
    return make_pair(member, teammate)


async def joined(pair, user):
    communicator = await connect(f"/ws/v1/pairs/{pair.pk}/", user)
    return communicator, (await frame_of(communicator, "snapshot"))["pair"]


async def test_each_of_the_two_joins_with_the_snapshot_and_sees_the_other_arrive(pair, member, teammate):
    mine, snapshot = await joined(pair, member)
    assert (snapshot["status"], snapshot["step"]) == ("active", 0)
    assert [s["kind"] for s in snapshot["exercise"]["steps"]] == ["prompt", "share", "share", "reflect"]
    theirs, _ = await joined(pair, teammate)
    while True:
        present = (await frame_of(mine, "presence"))["present"]
        if len(present) == 2:
            break
    assert sorted(p["id"] for p in present) == sorted([member.pk, teammate.pk])
    await mine.disconnect()
    await theirs.disconnect()


async def test_either_of_the_two_moves_the_steps_on(pair, member, teammate):
    mine, snapshot = await joined(pair, member)
    theirs, _ = await joined(pair, teammate)
    await send(mine, {"type": "next", "version": snapshot["version"]})
    state = (await frame_of(theirs, "state"))["pair"]
    assert state["step"] == 1
    assert (await frame_of(mine, "state"))["pair"]["step"] == 1
    await send(theirs, {"type": "next", "version": state["version"]})
    assert (await frame_of(mine, "state"))["pair"]["step"] == 2
    await mine.disconnect()
    await theirs.disconnect()


async def test_two_taps_against_one_version_move_on_once(pair, member):
    mine, snapshot = await joined(pair, member)
    await send(mine, {"type": "next", "version": snapshot["version"]})
    await send(mine, {"type": "next", "version": snapshot["version"]})
    assert (await frame_of(mine, "state"))["pair"]["step"] == 1
    assert (await frame_of(mine, "error"))["code"] == "stale_version"
    await mine.disconnect()


async def test_an_answer_stays_hidden_until_both_answered_then_both_see_both(pair, member, teammate):
    mine, _ = await joined(pair, member)
    theirs, _ = await joined(pair, teammate)
    await send(mine, {"type": "answer", "step": 2, "text": "I do my best work early"})
    assert (await frame_of(mine, "answer.accepted"))["answer"] == {"step": 2, "text": "I do my best work early"}
    answered = await frame_of(theirs, "answered")
    assert answered == {"type": "answered", "step": 2, "by": {"id": member.pk, "display_name": member.display_name}}
    await send(theirs, {"type": "answer", "step": 2, "text": "Late, with music"})
    for room in (mine, theirs):
        revealed = (await frame_of(room, "round"))["round"]
        assert revealed["revealed"] and {a["text"] for a in revealed["answers"]} == {
            "I do my best work early",
            "Late, with music",
        }
    await mine.disconnect()
    await theirs.disconnect()


async def test_an_answer_given_over_http_reaches_the_room(pair, member, teammate):
    theirs, _ = await joined(pair, teammate)
    await sync_to_async(pair_answer)(user=member, pair_id=pair.pk, step=2, text="Sent from the train")
    assert (await frame_of(theirs, "answered"))["by"]["id"] == member.pk
    await theirs.disconnect()


async def test_moving_past_the_last_step_completes_the_pair_for_both(pair, member, teammate):
    mine, snapshot = await joined(pair, member)
    version = snapshot["version"]
    for _ in range(5):  # four steps, then past the last
        await send(mine, {"type": "next", "version": version})
        state = (await frame_of(mine, "state"))["pair"]
        version = state["version"]
    assert state["status"] == "completed"
    completed = await sync_to_async(
        lambda: list(Event.objects.filter(type="pair.completed").values_list("user_id", flat=True))
    )()
    assert sorted(completed) == sorted([member.pk, teammate.pk])
    await mine.disconnect()


async def test_reconnecting_finds_the_pair_where_it_was(pair, member):
    mine, snapshot = await joined(pair, member)
    await send(mine, {"type": "next", "version": snapshot["version"]})
    await frame_of(mine, "state")
    await send(mine, {"type": "answer", "step": 2, "text": "kept"})
    await frame_of(mine, "answer.accepted")
    await mine.disconnect()
    back, again = await joined(pair, member)
    assert again["step"] == 1 and again["my_answers"] == [{"step": 2, "text": "kept"}]
    assert again["rounds"][0]["answers"] == []  # the partner has not answered
    await back.disconnect()


async def test_a_bad_command_gets_an_error_frame(pair, member):
    mine, _ = await joined(pair, member)
    await send(mine, {"type": "answer", "step": 1, "text": "a prompt takes no answer"})
    assert (await frame_of(mine, "error"))["code"] == "not_a_round"
    await send(mine, {"type": "answer", "step": "two", "text": "x"})
    assert (await frame_of(mine, "error"))["code"] == "invalid_field"
    await mine.disconnect()


async def test_nobody_but_the_two_enters_the_room(pair, lead, coach, colleague, outsider):
    for someone in (lead, coach, colleague, outsider):
        communicator = await connect(f"/ws/v1/pairs/{pair.pk}/", someone)
        assert await closed_with(communicator) == 4403
        await communicator.disconnect()


async def test_the_pair_room_sends_what_the_asyncapi_document_describes(pair, member, teammate):
    protocol = Protocol(await sync_to_async(fetch_document)())

    async def command(room, payload):
        protocol.check("pair", payload, action="send")
        await send(room, payload)

    mine, snapshot = await joined(pair, member)
    theirs, _ = await joined(pair, teammate)
    received = [{"type": "snapshot", "pair": snapshot}, await frame_of(mine, "presence")]
    await command(mine, {"type": "next", "version": snapshot["version"]})
    received.append(await frame_of(theirs, "state"))
    await command(mine, {"type": "answer", "step": 2, "text": "Mine"})
    received += [await frame_of(mine, "answer.accepted"), await frame_of(theirs, "answered")]
    await command(theirs, {"type": "answer", "step": 2, "text": "Theirs"})
    received.append(await frame_of(mine, "round"))
    await command(mine, {"type": "reveal", "step": 3})
    received.append(await frame_of(mine, "error"))
    await command(mine, {"type": "ping"})
    received.append(await frame_of(mine, "pong"))
    await mine.disconnect()
    await theirs.disconnect()
    for each in received:
        protocol.check("pair", each)


def test_every_pair_room_frame_is_documented_in_the_readme_with_its_keys():
    readme = README.read_text()
    section = readme[readme.index("### `/ws/v1/pairs/{id}/`") :].split("\n### ", 1)[0]
    sends = section.split("What the pair room sends:", 1)[1]
    rows = {kind: frame for frame, kind in re.findall(r'^\| `(\{"type": "([a-z_.]+)".*?\})` \|', sends, re.M)}
    assert set(rows) == set(PAIR_ROOM_FRAMES)
    for kind, frame in rows.items():
        assert set(re.findall(r'"([a-z_]+)":', frame)) - {"type"} == PAIR_ROOM_FRAMES[kind]

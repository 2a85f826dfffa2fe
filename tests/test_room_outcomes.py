"""What a live session keeps, commanded from its room: an agreement adopted from a revealed share
or typed words, one's own share made one's commitment, a share made an orphan, a shout-out made
an acknowledgement. The domain rules are in tests/test_agreements.py and tests/test_commitments.py;
this is the door."""

import uuid

import pytest
from asgiref.sync import sync_to_async

from acknowledgements.models import Acknowledgement
from agreements.models import Version
from commitments.models import Commitment
from group_sessions.services import session_start
from orphans.models import Orphan
from tests.test_group_sessions import group_exercise
from tests.ws_clients import connect, frame_of, fresh_channel_layer, send  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]


@pytest.fixture
def live(lead, team, member, teammate):
    session, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=group_exercise().slug, client_id=uuid.uuid4())
    return session


async def revealed_round(lead_room, member_room, text: str) -> int:
    """Steps to the share round, the member shares, the round is revealed; the version after."""
    version = (await frame_of(lead_room, "snapshot"))["session"]["version"]
    await frame_of(member_room, "snapshot")
    for command in ("start", "next"):
        await send(lead_room, {"type": command, "version": version})
        version = (await frame_of(lead_room, "state"))["session"]["version"]
    await send(member_room, {"type": "share", "step": 2, "text": text})
    await frame_of(member_room, "answer.accepted")
    await send(lead_room, {"type": "reveal", "version": version})
    version = (await frame_of(lead_room, "state"))["session"]["version"]
    await frame_of(lead_room, "round")
    return version


def only_share_id(session) -> int:
    return session.shares.get().pk


async def test_the_facilitator_adopts_a_revealed_share_from_the_room(live, lead, member):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{live.pk}/", member)
    try:
        version = await revealed_round(lead_room, member_room, "Payday, right, every time")
        share_id = await sync_to_async(only_share_id)(live)
        await send(lead_room, {"type": "adopt_agreement", "version": version, "kind": "purpose", "share_id": share_id})
        state = await frame_of(lead_room, "state")
        assert state["session"]["version"] == version + 1
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()
    adopted = await sync_to_async(Version.objects.select_related("agreement").get)()
    assert (adopted.text, adopted.status, adopted.agreement.kind) == ("Payday, right, every time", "current", "purpose")
    assert (adopted.proposed_by_id, adopted.adopted_by_id, adopted.session_id) == (member.pk, lead.pk, live.pk)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "adopt_agreement", "kind": "purpose", "text": "x"}, "missing_field"),
        ({"type": "adopt_agreement", "version": 1, "kind": 3, "text": "x"}, "invalid_field"),
        ({"type": "adopt_agreement", "version": 1, "kind": "purpose", "share_id": 999999}, "share_not_found"),
        ({"type": "adopt_agreement", "version": 1, "text": "Words"}, "invalid"),
    ],
)
async def test_a_bad_adoption_gets_an_error_frame(live, lead, payload, code):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    try:
        await frame_of(lead_room, "snapshot")
        await send(lead_room, payload)
        assert (await frame_of(lead_room, "error"))["code"] == code
    finally:
        await lead_room.disconnect()
    assert not await sync_to_async(Version.objects.exists)()


async def test_the_rooms_share_commands_keep_what_the_round_revealed(live, lead, member, teammate):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{live.pk}/", member)
    try:
        await revealed_round(lead_room, member_room, "Thanks to Sam, I'll chase the vendor by Thursday")
        share_id = await sync_to_async(only_share_id)(live)
        await send(member_room, {"type": "commit", "share_id": share_id, "check_back": "2099-01-01"})
        await send(
            member_room, {"type": "shout_out", "share_id": share_id, "recipient": teammate.pk, "behaviour": "helped"}
        )
        await send(lead_room, {"type": "make_orphan", "share_id": share_id})
        await send(member_room, {"type": "ping"})
        await frame_of(member_room, "pong")
        await send(lead_room, {"type": "ping"})
        await frame_of(lead_room, "pong")
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()
    commitment = await sync_to_async(Commitment.objects.get)()
    assert (commitment.volunteer_id, str(commitment.check_back_on)) == (member.pk, "2099-01-01")
    acknowledgement = await sync_to_async(Acknowledgement.objects.get)()
    assert (acknowledgement.sender_id, acknowledgement.recipient_id) == (member.pk, teammate.pk)
    assert (await sync_to_async(Orphan.objects.get)()).posted_by_id == member.pk


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "commit"}, "missing_field"),
        ({"type": "commit", "share_id": 1, "check_back": "friday"}, "invalid_field"),
        ({"type": "commit", "share_id": 999999}, "share_not_found"),
        ({"type": "make_orphan", "share_id": "1"}, "invalid_field"),
        ({"type": "shout_out", "share_id": 1, "recipient": 2}, "missing_field"),
        ({"type": "shout_out", "share_id": 999999, "recipient": 2, "behaviour": "helped"}, "share_not_found"),
    ],
)
async def test_a_bad_share_command_gets_an_error_frame(live, lead, payload, code):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    try:
        await frame_of(lead_room, "snapshot")
        await send(lead_room, payload)
        assert (await frame_of(lead_room, "error"))["code"] == code
    finally:
        await lead_room.disconnect()

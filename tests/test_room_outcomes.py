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
from tests.test_group_sessions import session_exercise
from tests.ws_clients import connect, frame_of, fresh_channel_layer, send  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]


@pytest.fixture
def live(lead, team, member, teammate):
    session, _ = session_start(
        lead=lead, team_id=team.pk, exercise_slug=session_exercise().slug, client_id=uuid.uuid4()
    )
    return session


async def revealed_round(lead_room, member_room, text: str) -> tuple[int, str]:
    """Steps to the share round, the member shares, the round is revealed; the version after
    and the share's ref, as everyone in the room sees it."""
    version = (await frame_of(lead_room, "snapshot"))["session"]["version"]
    await frame_of(member_room, "snapshot")
    for command in ("start", "next"):
        await send(lead_room, {"type": command, "version": version})
        version = (await frame_of(lead_room, "state"))["session"]["version"]
    await send(member_room, {"type": "share", "step": 2, "text": text})
    await frame_of(member_room, "answer.accepted")
    await send(lead_room, {"type": "reveal", "version": version})
    version = (await frame_of(lead_room, "state"))["session"]["version"]
    (share,) = (await frame_of(lead_room, "round"))["round"]["shares"]
    return version, share["ref"]


async def test_the_facilitator_adopts_a_revealed_share_from_the_room(live, lead, member):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{live.pk}/", member)
    try:
        version, share = await revealed_round(lead_room, member_room, "Payday, right, every time")
        await send(lead_room, {"type": "adopt_agreement", "version": version, "kind": "purpose", "share": share})
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
        ({"type": "adopt_agreement", "version": 1, "kind": "purpose", "share": "0" * 20}, "share_not_found"),
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
        _, share = await revealed_round(lead_room, member_room, "Thanks to Sam, I'll chase the vendor by Thursday")
        await send(member_room, {"type": "commit", "share": share, "check_back": "2099-01-01"})
        made = [await frame_of(member_room, "share.became")]
        await send(member_room, {"type": "shout_out", "share": share, "recipient": teammate.pk, "behaviour": "helped"})
        made.append(await frame_of(member_room, "share.became"))
        await send(lead_room, {"type": "make_orphan", "share": share})
        made.append(await frame_of(lead_room, "share.became"))
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()
    commitment = await sync_to_async(Commitment.objects.get)()
    assert (commitment.volunteer_id, str(commitment.check_back_on)) == (member.pk, "2099-01-01")
    acknowledgement = await sync_to_async(Acknowledgement.objects.get)()
    assert (acknowledgement.sender_id, acknowledgement.recipient_id) == (member.pk, teammate.pk)
    orphan = await sync_to_async(Orphan.objects.get)()
    assert orphan.posted_by_id == member.pk
    assert made == [
        {"type": "share.became", "share": share, "kind": "commitment", "id": commitment.pk},
        {"type": "share.became", "share": share, "kind": "acknowledgement", "id": acknowledgement.pk},
        {"type": "share.became", "share": share, "kind": "orphan", "id": orphan.pk},
    ]


async def test_a_share_command_sent_again_answers_with_the_same_commitment(live, lead, member):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{live.pk}/", member)
    try:
        _, share = await revealed_round(lead_room, member_room, "I'll write the runbook")
        answers = []
        for _ in range(2):
            await send(member_room, {"type": "commit", "share": share})
            answers.append(await frame_of(member_room, "share.became"))
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()
    assert answers[0] == answers[1]
    assert await sync_to_async(Commitment.objects.count)() == 1


async def test_the_facilitator_names_an_anonymous_share_without_learning_whose_it_is(live, lead, member):
    lead_room = await connect(f"/ws/v1/sessions/{live.pk}/", lead)
    member_room = await connect(f"/ws/v1/sessions/{live.pk}/", member)
    try:
        version = (await frame_of(lead_room, "snapshot"))["session"]["version"]
        await frame_of(member_room, "snapshot")
        for command in ("start", "next"):
            await send(lead_room, {"type": command, "version": version})
            version = (await frame_of(lead_room, "state"))["session"]["version"]
        await send(
            member_room, {"type": "share", "step": 2, "text": "Nobody owns the release notes", "anonymous": True}
        )
        await frame_of(member_room, "answer.accepted")
        await send(lead_room, {"type": "reveal", "version": version})
        (revealed,) = (await frame_of(lead_room, "round"))["round"]["shares"]
        await send(lead_room, {"type": "make_orphan", "share": revealed["ref"]})
        became = await frame_of(lead_room, "share.became")
    finally:
        await lead_room.disconnect()
        await member_room.disconnect()
    orphan = await sync_to_async(Orphan.objects.get)()
    assert (revealed["author"], orphan.pk, orphan.posted_by_id) == (None, became["id"], lead.pk)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"type": "commit"}, "missing_field"),
        ({"type": "commit", "share": "x", "check_back": "friday"}, "invalid_field"),
        ({"type": "commit", "share": "0" * 20}, "share_not_found"),
        ({"type": "make_orphan", "share": 1}, "invalid_field"),
        ({"type": "make_orphan", "share": {"ref": "x"}}, "invalid_field"),
        ({"type": "shout_out", "share": "x", "recipient": 2}, "missing_field"),
        ({"type": "shout_out", "share": "x" * 5000, "recipient": 2, "behaviour": "helped"}, "share_not_found"),
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

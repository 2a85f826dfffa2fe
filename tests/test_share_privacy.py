"""What a revealed round gives away: an anonymous share stays anonymous until its author says
otherwise, and nothing in the revealed round follows the order in which people answered."""

import pytest
from asgiref.sync import sync_to_async

from group_sessions.frames import round_for
from group_sessions.selectors import session_for_member
from group_sessions.services import round_answer, round_reveal, session_advance, session_end
from tests.test_group_sessions import joined, start, step_to
from tests.ws_clients import frame_of, fresh_channel_layer, send  # noqa: F401

TEXTS = ["I was scared to say it", "I did not know who to ask", "I felt left out"]
start_async = sync_to_async(start)


def at_the_share_round(lead, team):
    session = start(lead, team)
    for _ in range(2):  # the timer, then the share round
        session = session_advance(user=lead, session_id=session.pk, version=session.version)
    return session


def revealed_round(session, lead) -> dict:
    session = round_reveal(user=lead, session_id=session.pk, version=session.version)
    return round_for(session=session_for_member(user=lead, session_id=session.pk), step_position=2)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_resending_a_share_without_the_flag_keeps_it_anonymous(team, lead, member):
    live = await start_async(lead, team)
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    version = await step_to(lead_room, snapshot["version"], 2)
    await send(member_room, {"type": "share", "step": 2, "text": "Something hard to say", "anonymous": True})
    await frame_of(member_room, "answer.accepted")
    await send(member_room, {"type": "share", "step": 2, "text": "Something hard to say, better put"})
    corrected = await frame_of(member_room, "answer.accepted")
    assert corrected["answer"]["anonymous"] is True
    await send(lead_room, {"type": "reveal", "version": version})
    revealed = (await frame_of(lead_room, "round"))["round"]
    assert [(share["text"], share["author"]) for share in revealed["shares"]] == [
        ("Something hard to say, better put", None)
    ]
    await lead_room.disconnect()
    await member_room.disconnect()


@pytest.mark.django_db
def test_a_share_is_named_only_when_its_author_says_so(team, lead, member):
    session = at_the_share_round(lead, team)
    round_answer(user=member, session_id=session.pk, step=2, kind="share", text="first", anonymous=True)
    round_answer(user=member, session_id=session.pk, step=2, kind="share", text="second", anonymous=False)
    (shown,) = revealed_round(session, lead)["shares"]
    assert (shown["text"], shown["author"]) == ("second", {"id": member.pk, "display_name": member.display_name})


@pytest.mark.django_db
def test_a_new_share_without_the_flag_is_named(team, lead, member):
    session = at_the_share_round(lead, team)
    round_answer(user=member, session_id=session.pk, step=2, kind="share", text="mine")
    assert revealed_round(session, lead)["shares"][0]["author"]["id"] == member.pk


@pytest.mark.django_db
def test_who_answered_first_does_not_show_in_the_revealed_order(team, lead, member, teammate):
    answers = list(zip([lead, member, teammate], TEXTS, strict=True))
    orders = []
    for in_order_of_answering in (answers, answers[::-1]):
        session = at_the_share_round(lead, team)
        for author, text in in_order_of_answering:
            round_answer(user=author, session_id=session.pk, step=2, kind="share", text=text, anonymous=True)
        orders.append([share["text"] for share in revealed_round(session, lead)["shares"]])
        session.refresh_from_db()
        session_end(user=lead, session_id=session.pk, version=session.version)
    assert orders[0] == orders[1]
    assert sorted(orders[0]) == sorted(TEXTS)


@pytest.mark.django_db
def test_a_revealed_share_carries_no_id_only_an_opaque_ref(team, lead, member, teammate):
    session = at_the_share_round(lead, team)
    round_answer(user=member, session_id=session.pk, step=2, kind="share", text="named")
    round_answer(user=teammate, session_id=session.pk, step=2, kind="share", text="hidden", anonymous=True)
    shares = revealed_round(session, lead)["shares"]
    assert all(set(share) == {"ref", "text", "author"} for share in shares)
    ids = {str(share.pk) for share in session.shares.all()}
    assert all(share["ref"] not in ids and len(share["ref"]) == 20 for share in shares)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_everyone_sees_the_revealed_round_in_the_same_order_after_a_reconnect(team, lead, member, teammate):
    live = await start_async(lead, team)
    lead_room, snapshot = await joined(live, lead)
    rooms = [(await joined(live, person))[0] for person in (member, teammate)]
    version = await step_to(lead_room, snapshot["version"], 2)
    for room, text in zip([lead_room, *rooms], TEXTS, strict=True):
        await send(room, {"type": "share", "step": 2, "text": text, "anonymous": True})
        await frame_of(room, "answer.accepted")
    await send(lead_room, {"type": "reveal", "version": version})
    seen = [(await frame_of(room, "round"))["round"]["shares"] for room in [lead_room, *rooms]]
    await rooms[0].disconnect()
    back, again = await joined(live, member)
    assert seen[0] == seen[1] == seen[2] == next(r for r in again["rounds"] if r["step"] == 2)["shares"]
    for room in (lead_room, rooms[1], back):
        await room.disconnect()

"""Live group exercises: a lead starts one, members join the room over WebSocket, and the
facilitator steps everyone through it."""

import threading
import uuid

import pytest
from asgiref.sync import sync_to_async
from django.db import close_old_connections
from rest_framework.test import APIClient

from administration.factories import OrganisationAdminFactory
from administration.services import team_change
from common.errors import Conflict
from events.models import Event
from exercises.factories import ExerciseFactory, group_exercise
from exercises.models import Exercise, Step
from group_sessions.models import GroupSession
from group_sessions.services import session_advance, session_start
from teams.factories import MembershipFactory
from teams.services import membership_remove, team_leave
from tests.conftest import error_codes
from tests.ws_clients import closed_after_frames, closed_with, connect, frame, frame_of, fresh_channel_layer, send  # noqa: F401

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("fresh_channel_layer")]


def session_exercise() -> Exercise:
    return group_exercise(Step.Kind.TIMER, Step.Kind.SHARE, Step.Kind.CHECKIN, Step.Kind.REFLECT)


def http(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def start(lead, team) -> GroupSession:
    session, _ = session_start(
        lead=lead, team_id=team.pk, exercise_slug=session_exercise().slug, client_id=uuid.uuid4()
    )
    return session


def room(session) -> str:
    return f"/ws/v1/sessions/{session.pk}/"


@pytest.fixture
def live(lead, team, member, teammate):
    return start(lead, team)


async def joined(session, user):
    """Connected to the room, snapshot read."""
    communicator = await connect(room(session), user)
    snapshot = await frame_of(communicator, "snapshot")
    return communicator, snapshot["session"]


async def presence_of(communicator, user_ids) -> dict:
    """Presence frames until one lists exactly these people."""
    while True:
        presence = await frame_of(communicator, "presence")
        if sorted(p["id"] for p in presence["present"]) == sorted(user_ids):
            return presence


async def step_to(facilitator_room, version: int, times: int) -> int:
    for _ in range(times):
        await send(facilitator_room, {"type": "next", "version": version})
        version = (await frame_of(facilitator_room, "state"))["session"]["version"]
    return version


# Starting over HTTP


def test_a_lead_starts_a_session_and_the_members_are_told(lead, team, member, teammate):
    response = http(lead).post(
        f"/api/v1/teams/{team.pk}/sessions",
        {"exercise": session_exercise().slug, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["phase"], body["step"], body["facilitator"]["id"]) == ("lobby", 0, lead.pk)
    told = Event.objects.filter(type="session.started").values_list("user_id", flat=True)
    assert sorted(told) == sorted([member.pk, teammate.pk])


def test_starting_twice_with_the_same_client_id_is_one_session(lead, team):
    body = {"exercise": session_exercise().slug, "client_id": str(uuid.uuid4())}
    first = http(lead).post(f"/api/v1/teams/{team.pk}/sessions", body, format="json")
    again = http(lead).post(f"/api/v1/teams/{team.pk}/sessions", body, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert GroupSession.objects.count() == 1


def test_a_member_cannot_start_a_session(member, team):
    response = http(member).post(
        f"/api/v1/teams/{team.pk}/sessions",
        {"exercise": session_exercise().slug, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_team_lead")]
    assert not GroupSession.objects.exists()


def test_a_lead_of_another_team_cannot_start_one_for_this_team(team, organisation):
    from teams.factories import TeamFactory
    from teams.models import Membership

    other_lead = MembershipFactory(team=TeamFactory(organisation=organisation), role=Membership.Role.LEAD).user
    response = http(other_lead).post(
        f"/api/v1/teams/{team.pk}/sessions",
        {"exercise": session_exercise().slug, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 404


def test_only_a_group_exercise_runs_as_a_session(lead, team):
    solo = ExerciseFactory(mode=Exercise.Mode.SOLO)
    response = http(lead).post(
        f"/api/v1/teams/{team.pk}/sessions", {"exercise": solo.slug, "client_id": str(uuid.uuid4())}, format="json"
    )
    assert response.status_code == 400
    assert error_codes(response) == [("exercise", "not_a_group_exercise")]


def test_a_team_has_at_most_one_live_session(lead, team, live):
    response = http(lead).post(
        f"/api/v1/teams/{team.pk}/sessions",
        {"exercise": session_exercise().slug, "client_id": str(uuid.uuid4())},
        format="json",
    )
    assert response.status_code == 409
    assert error_codes(response) == [(None, "session_already_live")]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"exercise": "x"},
        {"exercise": 5, "client_id": "nope"},
        {"exercise": "x" * 500, "client_id": str(uuid.uuid4())},
    ],
)
def test_nonsense_start_input_is_refused(lead, team, body):
    assert http(lead).post(f"/api/v1/teams/{team.pk}/sessions", body, format="json").status_code == 400
    assert not GroupSession.objects.exists()


def test_a_member_reads_the_snapshot_and_others_cannot(live, member, colleague, outsider, coach):
    assert http(member).get(f"/api/v1/sessions/{live.pk}").json()["id"] == live.pk
    for stranger in (colleague, outsider, coach):
        assert http(stranger).get(f"/api/v1/sessions/{live.pk}").status_code == 404
    assert APIClient().get(f"/api/v1/sessions/{live.pk}").status_code == 401


# The room


async def test_someone_outside_the_team_is_refused_with_4403(live, colleague):
    assert await closed_with(await connect(room(live), colleague)) == 4403


async def test_an_anonymous_connection_to_a_room_is_refused_with_4401(live):
    assert await closed_with(await connect(room(live))) == 4401


async def test_a_member_joining_gets_the_snapshot_with_themselves_present(live, member):
    communicator, snapshot = await joined(live, member)
    assert snapshot["phase"] == "lobby"
    assert member.pk in [person["id"] for person in snapshot["present"]]
    assert [s["kind"] for s in snapshot["exercise"]["steps"]] == ["timer", "share", "checkin", "reflect"]
    await communicator.disconnect()


async def test_someone_taken_out_of_the_team_leaves_its_live_room_at_once(live, lead, member, teammate):
    member_room, _ = await joined(live, member)
    teammate_room, _ = await joined(live, teammate)
    await sync_to_async(membership_remove)(by=lead, team_id=live.team_id, user_id=member.pk)
    assert await closed_after_frames(member_room) == 4403
    await send(teammate_room, {"type": "ping"})
    assert (await frame_of(teammate_room, "pong"))["type"] == "pong"  # the others stay
    await teammate_room.disconnect()


async def test_archiving_the_team_closes_its_live_room_for_everyone(live, lead, member):
    admin = await sync_to_async(lambda: OrganisationAdminFactory(user__organisation=live.team.organisation).user)()
    rooms = [(await joined(live, person))[0] for person in (lead, member)]
    await sync_to_async(team_change)(
        by=admin, organisation_id=live.team.organisation_id, team_id=live.team_id, archived=True
    )
    assert [await closed_after_frames(room_) for room_ in rooms] == [4403, 4403]


async def test_someone_who_leaves_the_team_leaves_its_live_room(live, teammate):
    room_of_teammate, _ = await joined(live, teammate)
    await sync_to_async(team_leave)(user=teammate, team_id=live.team_id)
    assert await closed_after_frames(room_of_teammate) == 4403


async def test_the_facilitator_steps_everyone_through(live, lead, member):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await send(lead_room, {"type": "start", "version": snapshot["version"]})
    state = (await frame_of(member_room, "state"))["session"]
    assert (state["phase"], state["step"]) == ("step", 1)
    assert state["deadline"] is not None  # a timer step
    await send(lead_room, {"type": "next", "version": state["version"]})
    assert (await frame_of(member_room, "state"))["session"]["step"] == 2
    await lead_room.disconnect()
    await member_room.disconnect()


async def test_two_next_commands_against_the_same_version_advance_once(live, lead):
    lead_room, snapshot = await joined(live, lead)
    version = await step_to(lead_room, snapshot["version"], 1)
    await send(lead_room, {"type": "next", "version": version})
    await send(lead_room, {"type": "next", "version": version})
    assert (await frame_of(lead_room, "state"))["session"]["step"] == 2
    assert (await frame_of(lead_room, "error"))["code"] == "stale_version"
    await lead_room.disconnect()


def test_concurrent_next_commands_advance_once(live, lead):
    outcomes = []

    def press():
        try:
            session_advance(user=lead, session_id=live.pk, version=live.version)
            outcomes.append("advanced")
        except Conflict as error:
            outcomes.append(error.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=press) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["advanced", "stale_version"]
    live.refresh_from_db()
    assert (live.step, live.version) == (1, 2)


async def test_only_the_facilitator_steps_the_session(live, member):
    member_room, snapshot = await joined(live, member)
    await send(member_room, {"type": "next", "version": snapshot["version"]})
    assert (await frame_of(member_room, "error"))["code"] == "not_facilitator"
    await member_room.disconnect()


async def test_shares_stay_hidden_until_the_facilitator_reveals_the_round(live, lead, member, teammate):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    version = await step_to(lead_room, snapshot["version"], 2)  # the share step
    await send(member_room, {"type": "share", "step": 2, "text": "I felt heard today"})
    accepted = await frame_of(member_room, "answer.accepted")
    assert accepted["answer"]["text"] == "I felt heard today"
    progress = await frame_of(lead_room, "round.progress")
    assert progress == {"type": "round.progress", "step": 2, "count": 1}
    await send(lead_room, {"type": "reveal", "version": version})
    revealed = (await frame_of(member_room, "round"))["round"]
    assert revealed["revealed"] is True
    assert [(s["text"], s["author"]["id"]) for s in revealed["shares"]] == [("I felt heard today", member.pk)]
    await lead_room.disconnect()
    await member_room.disconnect()


async def test_an_anonymous_share_never_names_its_author_to_anyone_else(live, lead, member):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    version = await step_to(lead_room, snapshot["version"], 2)
    await send(member_room, {"type": "share", "step": 2, "text": "Something hard to say", "anonymous": True})
    await frame_of(member_room, "answer.accepted")
    await send(lead_room, {"type": "reveal", "version": version})
    revealed = (await frame_of(lead_room, "round"))["round"]
    assert [(share["text"], share["author"]) for share in revealed["shares"]] == [("Something hard to say", None)]
    await lead_room.disconnect()
    rejoined, lead_snapshot = await joined(live, lead)
    round_two = next(r for r in lead_snapshot["rounds"] if r["step"] == 2)
    assert round_two["shares"][0]["author"] is None
    assert lead_snapshot["my_answers"] == []
    await rejoined.disconnect()
    await member_room.disconnect()


async def test_a_checkin_average_is_shown_only_when_three_have_answered(live, lead, member, teammate):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    teammate_room, _ = await joined(live, teammate)
    version = await step_to(lead_room, snapshot["version"], 3)  # the check-in
    for communicator, value in ((member_room, 2), (teammate_room, 5)):
        await send(communicator, {"type": "checkin", "step": 3, "value": value})
        await frame_of(communicator, "answer.accepted")
    await send(lead_room, {"type": "reveal", "version": version})
    two = (await frame_of(lead_room, "round"))["round"]
    assert (two["count"], two["average"]) == (2, None)
    await lead_room.disconnect()
    await member_room.disconnect()
    await teammate_room.disconnect()


def test_a_checkin_average_is_revealed_with_three_answers(live, lead, member, teammate):
    from group_sessions.services import round_answer, round_reveal

    live = session_advance(user=lead, session_id=live.pk, version=live.version)
    live = session_advance(user=lead, session_id=live.pk, version=live.version)
    live = session_advance(user=lead, session_id=live.pk, version=live.version)
    for person, value in ((lead, 3), (member, 4), (teammate, 5)):
        round_answer(user=person, session_id=live.pk, step=3, kind="checkin", value=value)
    round_reveal(user=lead, session_id=live.pk, version=live.version)
    view = http(member).get(f"/api/v1/sessions/{live.pk}").json()
    assert next(r for r in view["rounds"] if r["step"] == 3)["average"] == 4.0


async def test_an_answer_for_a_step_that_has_passed_is_refused(live, lead, member):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await step_to(lead_room, snapshot["version"], 3)
    await send(member_room, {"type": "share", "step": 2, "text": "too late"})
    assert (await frame_of(member_room, "error"))["code"] == "step_passed"
    await lead_room.disconnect()
    await member_room.disconnect()


@pytest.mark.parametrize(
    "payload, code",
    [
        ("{nope", "invalid_json"),
        ('"a string"', "invalid_frame"),
        ('{"type": "dance"}', "unknown_type"),
        ('{"type": "next"}', "missing_field"),
        ('{"type": "next", "version": "one"}', "invalid_field"),
        ('{"type": "share", "step": 2, "text": "' + "x" * 9000 + '"}', "frame_too_large"),
        ('{"type": "share", "step": 2, "text": "' + "x" * 1001 + '"}', "max_length"),
        ('{"type": "share", "step": 2, "text": "   "}', "blank"),
        ('{"type": "checkin", "step": 2, "value": 3}', "wrong_round_kind"),
        ('{"type": "extend", "version": 2, "seconds": 100000}', "invalid_seconds"),
        ('{"type": "hand_over", "version": 2, "user_id": 999999}', "not_present"),
    ],
)
async def test_a_bad_frame_gets_an_error_frame_not_a_crash(live, lead, payload, code):
    lead_room, snapshot = await joined(live, lead)
    await step_to(lead_room, snapshot["version"], 1)
    await send(lead_room, {"type": "next", "version": 2})
    await frame_of(lead_room, "state")  # now on the share step, version 3
    await send(lead_room, payload.replace('"version": 2', '"version": 3'))
    assert (await frame_of(lead_room, "error"))["code"] == code
    await send(lead_room, {"type": "ping"})
    assert (await frame_of(lead_room, "pong")) == {"type": "pong"}
    await lead_room.disconnect()


async def test_the_facilitator_extends_the_timer(live, lead):
    lead_room, snapshot = await joined(live, lead)
    await send(lead_room, {"type": "start", "version": snapshot["version"]})
    before = (await frame_of(lead_room, "state"))["session"]
    await send(lead_room, {"type": "extend", "version": before["version"], "seconds": 120})
    after = (await frame_of(lead_room, "state"))["session"]
    assert after["deadline"] > before["deadline"]
    await lead_room.disconnect()


async def test_the_facilitator_hands_over_to_someone_present(live, lead, member):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await send(lead_room, {"type": "hand_over", "version": snapshot["version"], "user_id": member.pk})
    state = (await frame_of(member_room, "state"))["session"]
    assert state["facilitator"]["id"] == member.pk
    await frame_of(lead_room, "state")  # the hand-over itself
    await send(member_room, {"type": "start", "version": state["version"]})
    assert (await frame_of(lead_room, "state"))["session"]["step"] == 1
    await lead_room.disconnect()
    await member_room.disconnect()


async def test_ending_invites_each_participant_to_reflect(live, lead, member, teammate):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await send(lead_room, {"type": "end", "version": snapshot["version"]})
    assert (await frame_of(member_room, "state"))["session"]["phase"] == "ended"
    invited = await sync_to_async(
        lambda: sorted(Event.objects.filter(type="session.reflection_invite").values_list("user_id", flat=True))
    )()
    assert invited == sorted([lead.pk, member.pk])  # the teammate never joined
    await lead_room.disconnect()
    await member_room.disconnect()


def test_stepping_past_the_last_step_ends_the_session(live, lead):
    for _ in range(5):
        live = session_advance(user=lead, session_id=live.pk, version=live.version)
    assert live.phase == GroupSession.Phase.ENDED
    with pytest.raises(Conflict):
        session_advance(user=lead, session_id=live.pk, version=live.version)


async def test_a_reflection_can_be_linked_to_a_session_one_took_part_in(live, lead, member, teammate):
    member_room, _ = await joined(live, member)
    await member_room.disconnect()
    body = {"body": "We listened.", "session": live.pk, "client_id": str(uuid.uuid4())}
    mine = await sync_to_async(http(member).post)("/api/v1/reflections", body, format="json")
    assert (mine.status_code, mine.json()["session"]) == (201, live.pk)
    body["client_id"] = str(uuid.uuid4())
    not_there = await sync_to_async(http(teammate).post)("/api/v1/reflections", body, format="json")
    assert not_there.status_code == 400
    assert error_codes(not_there) == [("session", "session_not_found")]


async def test_a_participant_who_reconnects_is_back_in_the_same_state(live, lead, member):
    lead_room, snapshot = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await step_to(lead_room, snapshot["version"], 2)
    await send(member_room, {"type": "share", "step": 2, "text": "mine"})
    await frame_of(member_room, "answer.accepted")
    await member_room.disconnect()
    back, again = await joined(live, member)
    assert (again["phase"], again["step"]) == ("step", 2)
    assert [answer["text"] for answer in again["my_answers"]] == ["mine"]
    assert next(r for r in again["rounds"] if r["step"] == 2)["shares"] == []  # still hidden
    await back.disconnect()
    await lead_room.disconnect()


async def test_presence_announces_arrivals_and_departures_after_a_grace_period(live, lead, member, settings):
    settings.PRESENCE_GRACE_SECONDS = 0
    lead_room, _ = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await presence_of(lead_room, [lead.pk, member.pk])
    await member_room.disconnect()
    departed = await frame_of(lead_room, "presence")
    assert [p["id"] for p in departed["present"]] == [lead.pk]
    await lead_room.disconnect()


async def test_a_brief_drop_within_the_grace_period_does_not_flicker(live, lead, member, settings):
    settings.PRESENCE_GRACE_SECONDS = 30
    lead_room, _ = await joined(live, lead)
    member_room, _ = await joined(live, member)
    await presence_of(lead_room, [lead.pk, member.pk])
    await member_room.disconnect()
    back, snapshot = await joined(live, member)
    assert sorted(p["id"] for p in snapshot["present"]) == sorted([lead.pk, member.pk])
    assert await lead_room.receive_nothing(timeout=0.3)
    await back.disconnect()
    await lead_room.disconnect()

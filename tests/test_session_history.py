"""A team's sessions, past and to come, with what each produced; the words said in a session
stay with those who were in the room."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from agreements.models import Agreement, Version
from commitments.models import Commitment
from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import GroupSession, Share
from group_sessions.services import session_start
from orphans.factories import OrphanFactory
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

SECRET_SHARE = "I was the one who broke the build, and nobody blamed me"


def held(team, lead, *, took_part=(), revealed=True, days_ago=1) -> GroupSession:
    """An ended session with one revealed share round, answered by whoever took part."""
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.SHARE)
    session = GroupSessionFactory(
        team=team,
        exercise=exercise,
        started_by=lead,
        phase=GroupSession.Phase.ENDED,
        step=1,
        revealed_steps=[1] if revealed else [],
        ended_at=timezone.now() - timedelta(days=days_ago),
    )
    GroupSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    for person in took_part:
        ConnectionFactory(session=session, user=person)
        Share.objects.create(session=session, step=1, author=person, text=SECRET_SHARE)
    return session


def history(client, team, **query):
    return client.get(f"/api/v1/teams/{team.pk}/sessions", query)


def test_past_sessions_come_latest_first_with_what_they_produced(client_for, lead, member, teammate, team):
    older = held(team, lead, took_part=[member], days_ago=9)
    newer = held(team, lead, took_part=[member, teammate], days_ago=2)

    results = history(client_for(member), team).json()["results"]

    assert [(s["id"], s["produced"]["answers"]) for s in results] == [(newer.pk, 2), (older.pk, 1)]
    assert results[0]["facilitator"]["id"] == lead.pk


def test_what_a_session_produced_counts_its_agreements_commitments_and_orphans(client_for, lead, member, team):
    session = held(team, lead, took_part=[member])
    share = Share.objects.get(session=session)
    agreement = Agreement.objects.create(team=team, kind=Agreement.Kind.PURPOSE, created_by=lead)
    Version.objects.create(
        agreement=agreement,
        number=1,
        text="Why we are here",
        proposed_by=member,
        status=Version.Status.CURRENT,
        adopted_by=lead,
        adopted_at=timezone.now(),
        session=session,
    )
    Commitment.objects.create(team=team, volunteer=member, text="I will ask first", session=session, share=share)
    OrphanFactory(team=team, posted_by=member, session=session)

    [shown] = history(client_for(member), team).json()["results"]

    assert shown["produced"] == {"answers": 1, "agreements_adopted": 1, "commitments_made": 1, "orphans_created": 1}


def test_someone_who_took_part_sees_the_revealed_rounds(client_for, lead, member, team):
    held(team, lead, took_part=[member])

    [session] = history(client_for(member), team).json()["results"]

    assert session["took_part"] is True
    assert [share["text"] for share in session["rounds"][0]["shares"]] == [SECRET_SHARE]


def test_a_teammate_who_was_not_there_sees_the_counts_but_never_the_words(client_for, lead, member, teammate, team):
    held(team, lead, took_part=[member])

    response = history(client_for(teammate), team)

    [session] = response.json()["results"]
    assert (session["took_part"], session["rounds"], session["produced"]["answers"]) == (False, None, 1)
    assert SECRET_SHARE not in response.content.decode()


def test_a_round_never_revealed_shows_no_words_even_to_those_there(client_for, lead, member, team):
    held(team, lead, took_part=[member], revealed=False)

    response = history(client_for(member), team)

    assert response.json()["results"][0]["rounds"] == []
    assert SECRET_SHARE not in response.content.decode()


def test_upcoming_sessions_come_soonest_first_and_are_not_in_the_past(client_for, lead, member, team):
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP)
    later, sooner = (
        session_start(
            lead=lead,
            team_id=team.pk,
            exercise_slug=exercise.slug,
            client_id=uuid.uuid4(),
            starts_at=timezone.now() + timedelta(days=days),
            repeat="weekly",
        )[0]
        for days in (5, 1)
    )
    client = client_for(member)

    upcoming = history(client, team, when="upcoming").json()["results"]

    assert [(s["id"], s["phase"], s["repeat"]) for s in upcoming] == [
        (sooner.pk, "scheduled", "weekly"),
        (later.pk, "scheduled", "weekly"),
    ]
    assert upcoming[0]["opened_at"] is None
    assert history(client, team).json()["results"] == []


def test_the_history_pages_with_a_cursor(client_for, lead, member, team):
    sessions = [held(team, lead, days_ago=days) for days in (1, 2, 3)]
    client = client_for(member)

    first = history(client, team, limit=2).json()
    second = client.get(first["next"]).json()

    assert [s["id"] for s in first["results"] + second["results"]] == [s.pk for s in sessions]


def test_a_cursor_of_the_past_is_no_cursor_for_what_is_to_come(client_for, lead, member, team):
    for days in (1, 2):
        held(team, lead, days_ago=days)
    client = client_for(member)
    cursor = history(client, team, limit=1).json()["next"].partition("cursor=")[2]

    response = history(client, team, when="upcoming", cursor=cursor)

    assert error_codes(response) == [("cursor", "invalid_cursor")]


def test_asking_for_neither_past_nor_upcoming_is_refused(client_for, member, team):
    response = history(client_for(member), team, when="yesterday")

    assert error_codes(response) == [("when", "invalid_choice")]


@pytest.mark.parametrize("who", ["coach", "outsider", "colleague"])
def test_only_the_teams_members_see_its_sessions(client_for, lead, team, who, request):
    held(team, lead)

    response = history(client_for(request.getfixturevalue(who)), team)

    assert error_codes(response) == [(None, "team_not_found")]

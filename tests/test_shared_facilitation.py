"""Shared power: a lead lets the team's members start and facilitate sessions, and the app
suggests whose turn it is."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.factories import UserFactory
from exercises.factories import ExerciseFactory
from exercises.models import Exercise
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import GroupSession
from teams.factories import MembershipFactory
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db


def start(client, team):
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP)
    return client.post(
        f"/api/v1/teams/{team.pk}/sessions", {"exercise": exercise.slug, "client_id": str(uuid.uuid4())}, format="json"
    )


def share_power(client, team, on=True):
    return client.patch(f"/api/v1/teams/{team.pk}", {"members_facilitate": on}, format="json")


def test_the_lead_turns_shared_facilitation_on_and_the_team_shows_it(client_for, lead, member, team):
    response = share_power(client_for(lead), team)

    assert (response.status_code, response.json()["members_facilitate"]) == (200, True)
    assert client_for(member).get(f"/api/v1/teams/{team.pk}").json()["members_facilitate"] is True


def test_a_member_cannot_change_the_setting(client_for, member, team):
    response = share_power(client_for(member), team)

    assert error_codes(response) == [(None, "not_team_lead")]
    team.refresh_from_db()
    assert team.members_facilitate is False


def test_nonsense_for_the_setting_is_refused(client_for, lead, team):
    response = client_for(lead).patch(f"/api/v1/teams/{team.pk}", {"members_facilitate": "perhaps"}, format="json")

    assert error_codes(response) == [("members_facilitate", "invalid")]


def test_without_shared_facilitation_a_member_cannot_start_a_session(client_for, member, team):
    assert error_codes(start(client_for(member), team)) == [(None, "not_team_lead")]


def test_with_it_any_member_starts_a_session_and_facilitates_it(client_for, lead, member, team):
    share_power(client_for(lead), team)

    response = start(client_for(member), team)

    assert response.status_code == 201
    assert response.json()["facilitator"]["id"] == member.pk


def test_turned_off_again_members_can_no_longer_start(client_for, lead, member, team):
    share_power(client_for(lead), team)
    share_power(client_for(lead), team, on=False)

    assert error_codes(start(client_for(member), team)) == [(None, "not_team_lead")]


def facilitated(team, person, *, days_ago: int, with_people=()) -> GroupSession:
    session = GroupSessionFactory(team=team, started_by=person, phase=GroupSession.Phase.ENDED)
    GroupSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    for someone in (person, *with_people):
        ConnectionFactory(session=session, user=someone)
    return session


def rota(client, team) -> list[int]:
    response = client.get(f"/api/v1/teams/{team.pk}/rota")
    assert response.status_code == 200, response.content
    return [entry["id"] for entry in response.json()]


def test_the_rota_puts_who_facilitated_least_recently_first_and_newcomers_last(client_for, lead, team):
    team.members_facilitate = True
    team.save()
    recent = MembershipFactory(team=team, user=UserFactory(display_name="Ada")).user
    long_ago = MembershipFactory(team=team, user=UserFactory(display_name="Bo")).user
    never_led = MembershipFactory(team=team, user=UserFactory(display_name="Cy")).user
    newcomer = MembershipFactory(team=team, user=UserFactory(display_name="Di")).user
    facilitated(team, long_ago, days_ago=30)
    facilitated(team, recent, days_ago=2, with_people=[never_led])
    facilitated(team, lead, days_ago=9)

    assert rota(client_for(newcomer), team) == [never_led.pk, long_ago.pk, lead.pk, recent.pk, newcomer.pk]


def test_without_shared_facilitation_the_rota_is_the_teams_leads(client_for, lead, member, team):
    other_lead = MembershipFactory(team=team, role="lead").user
    facilitated(team, lead, days_ago=1)

    assert rota(client_for(member), team) == [lead.pk, other_lead.pk]


def test_the_rota_says_when_each_last_facilitated(client_for, lead, member, team):
    session = facilitated(team, lead, days_ago=3)
    session.refresh_from_db()

    [entry] = client_for(member).get(f"/api/v1/teams/{team.pk}/rota").json()

    assert (entry["last_facilitated_at"], entry["has_taken_part"]) == (
        session.created_at.isoformat(),
        True,
    )


def test_someone_outside_the_team_gets_no_rota(client_for, colleague, team):
    response = client_for(colleague).get(f"/api/v1/teams/{team.pk}/rota")

    assert error_codes(response) == [(None, "team_not_found")]

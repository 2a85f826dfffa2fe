"""A coach finds the organisations (and teams) their insights are about: GET /me says nothing of
them, so this list is where the insights URLs start."""

import pytest

from accounts.factories import OrganisationFactory
from teams.factories import CoachAssignmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/coach/organisations"


def test_a_coach_of_a_whole_organisation_sees_it_with_all_its_teams(client_for, coach, organisation, team):
    other_team = TeamFactory(organisation=organisation, name="Zebra")
    response = client_for(coach).get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": organisation.pk,
            "name": organisation.name,
            "k": organisation.anonymity_threshold,
            "teams": [{"id": t.pk, "name": t.name} for t in sorted([team, other_team], key=lambda t: (t.name, t.pk))],
        }
    ]


def test_a_coach_of_one_team_sees_only_that_team(client_for, organisation, team):
    TeamFactory(organisation=organisation)
    coach = CoachAssignmentFactory(organisation=organisation, team=team).coach
    [listed] = client_for(coach).get(URL).json()
    assert listed["teams"] == [{"id": team.pk, "name": team.name}]


def test_the_ids_listed_open_the_insights(client_for, coach, organisation):
    [listed] = client_for(coach).get(URL).json()
    assert client_for(coach).get(f"{URL}/{listed['id']}/insights").status_code == 200


def test_a_coach_of_two_organisations_sees_both_and_nothing_else(client_for, coach, organisation):
    second = CoachAssignmentFactory(coach=coach).organisation
    OrganisationFactory()
    assert {listed["id"] for listed in client_for(coach).get(URL).json()} == {organisation.pk, second.pk}


def test_another_organisations_coach_sees_only_their_own(client_for, organisation):
    elsewhere = CoachAssignmentFactory()
    listed = client_for(elsewhere.coach).get(URL).json()
    assert [entry["id"] for entry in listed] == [elsewhere.organisation.pk]
    assert organisation.pk not in {entry["id"] for entry in listed}


@pytest.mark.parametrize("person", ["member", "lead", "outsider", "staff_admin"])
def test_someone_who_coaches_nowhere_gets_an_empty_list(client_for, person, request):
    response = client_for(request.getfixturevalue(person)).get(URL)
    assert (response.status_code, response.json()) == (200, [])


def test_anonymous_is_refused(anonymous, coach):
    assert anonymous.get(URL).status_code == 401


def test_the_list_ignores_nonsense_query_parameters(client_for, coach, organisation):
    response = client_for(coach).get(URL, {"organisation": "1' OR 1=1"})
    assert [entry["id"] for entry in response.json()] == [organisation.pk]

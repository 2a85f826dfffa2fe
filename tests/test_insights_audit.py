"""Every coach look at insights is recorded by one function, whichever door it came through."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from accounts.factories import OrganisationFactory
from common.errors import Invalid, NotAllowed
from insights.models import InsightView
from insights.services import insights_look
from teams.factories import CoachAssignmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

AFTER = datetime(2026, 3, 20, 12, tzinfo=UTC)  # 2026-W10 and 2026-W11 are over
QUERY = "from=2026-W10&to=2026-W11"


def look_through(door: str, client_for, coach, organisation_id: int, query: str = QUERY):
    with time_machine.travel(AFTER, tick=False):
        if door == "dashboard":
            client = Client()
            client.force_login(coach)
            return client.get(f"/coach/organisations/{organisation_id}/?{query}")
        path = "insights.csv" if door == "csv" else "insights"
        return client_for(coach).get(f"/api/v1/coach/organisations/{organisation_id}/{path}?{query}")


def recorded() -> list[dict]:
    return list(InsightView.objects.values("coach", "organisation", "team", "weeks", "at"))


@pytest.mark.parametrize("door", ["json", "csv", "dashboard"])
def test_each_door_records_its_look_with_the_same_fields(client_for, coach, organisation, team, door):
    assert look_through(door, client_for, coach, organisation.pk).status_code == 200
    assert recorded() == [
        {"coach": coach.pk, "organisation": organisation.pk, "team": None, "weeks": "2026-W10..2026-W11", "at": AFTER}
    ]
    assert InsightView.objects.get().format == door


@pytest.mark.parametrize("door", ["json", "csv", "dashboard"])
def test_a_look_at_no_finished_week_records_no_weeks_through_every_door(client_for, coach, organisation, team, door):
    assert look_through(door, client_for, coach, organisation.pk, "from=2000-W01&to=2000-W02").status_code == 200
    assert InsightView.objects.get().weeks == ""


@pytest.mark.parametrize("door", ["json", "csv", "dashboard"])
def test_a_look_at_another_organisation_records_nothing_through_every_door(client_for, coach, door):
    elsewhere = OrganisationFactory()
    assert look_through(door, client_for, coach, elsewhere.pk).status_code == 403
    assert not InsightView.objects.exists()


def test_the_look_itself_records_who_looked_at_which_team_and_weeks(coach, organisation, team):
    with time_machine.travel(AFTER, tick=False):
        table = insights_look(
            coach=coach, organisation_id=organisation.pk, format="json", first="2026-W11", team_id=team.pk
        )
    assert table["weeks"] == ["2026-W11"]
    view = InsightView.objects.get()
    assert (view.coach, view.organisation, view.team, view.weeks, view.format) == (
        coach,
        organisation,
        team,
        "2026-W11..2026-W11",
        "json",
    )


def test_a_look_at_a_team_outside_ones_assignment_records_nothing(organisation, team):
    coach = CoachAssignmentFactory(organisation=organisation, team=team).coach
    other = TeamFactory(organisation=organisation)
    with pytest.raises(NotAllowed):
        insights_look(coach=coach, organisation_id=organisation.pk, format="json", team_id=other.pk)
    assert not InsightView.objects.exists()


def test_a_look_at_a_nonsense_week_records_nothing(coach, organisation):
    with pytest.raises(Invalid):
        insights_look(coach=coach, organisation_id=organisation.pk, format="csv", first="2026-W99")
    assert not InsightView.objects.exists()

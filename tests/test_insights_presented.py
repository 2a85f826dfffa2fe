"""Coach insights are presented once, when a week is rolled up, and read as presented: the table
a coach reads is the one the rollups give under today's k and catalogue, whatever changed since
(a change shows at once, and the worker presents the week again), and reading it costs the same
number of queries however many teams, weeks and runs are behind it, through every door.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC) and read on 2026-03-20, once
that week is over and rolled up."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.factories import OrganisationFactory
from accounts.models import Organisation
from insights.models import OrganisationWeek
from insights.services import insights_catch_up
from teams.factories import CoachAssignmentFactory
from tests.test_insights import (
    AFTER,
    HIDDEN,
    MONDAY,
    ONE_WEEK,
    TOO_SMALL,
    WEEK,
    acknowledge,
    at,
    complete,
    exercise,
    insights_url,
    read,
    reflect,
    roll_up,
    shown,
    team_of,
    team_week,
)

pytestmark = pytest.mark.django_db

EIGHT_WEEKS = f"from=2026-W03&to={WEEK}"


def organisation_week(body: dict) -> dict:
    return next(row for row in body["organisation_total"]["weeks"] if row["week"] == WEEK)


def busy_team(organisation, size: int = 6, runs: int = 1):
    """A team whose members each reflect, acknowledge a teammate and complete `runs` runs."""
    team, people = team_of(size, organisation)
    curiosity = exercise(f"curiosity-{team.pk}")
    for person in people:
        reflect(person)
        acknowledge(person, people[0] if person != people[0] else people[1])
        for _ in range(runs):
            complete(person, curiosity)
    return team, people


def read_as_built_from_the_rollups(client_for, coach, organisation, query: str = ONE_WEEK) -> dict:
    """What the coach reads while no week has been presented: built from the rollups."""
    presented = list(OrganisationWeek.objects.all())
    OrganisationWeek.objects.all().delete()
    body = read(client_for, coach, organisation, query)
    OrganisationWeek.objects.bulk_create(presented)
    return body


def catch_up():
    with at(AFTER):
        insights_catch_up()


# Presented as the rollups give it


def test_rolling_up_a_week_presents_it(organisation):
    busy_team(organisation)
    roll_up()
    assert OrganisationWeek.objects.filter(organisation=organisation, week_start=MONDAY).exists()


def test_what_a_coach_reads_is_what_the_rollups_give(client_for, coach, organisation):
    busy_team(organisation, size=6)
    busy_team(organisation, size=4)
    roll_up()
    assert read(client_for, coach, organisation) == read_as_built_from_the_rollups(client_for, coach, organisation)


def test_a_coach_of_one_team_reads_the_organisation_row_of_that_team_only(client_for, organisation):
    mine, _ = busy_team(organisation, size=5)
    busy_team(organisation, size=7)
    roll_up()
    coach = CoachAssignmentFactory(organisation=organisation, team=mine).coach
    body = read(client_for, coach, organisation)
    assert organisation_week(body)["active"] == team_week(body, mine)["active"] == shown(5)


def test_a_higher_k_hides_a_presented_week_at_once(client_for, coach, organisation):
    team, _ = busy_team(organisation, size=6)
    roll_up()
    Organisation.objects.filter(pk=organisation.pk).update(anonymity_threshold=7)
    assert team_week(read(client_for, coach, organisation), team)["active"] == TOO_SMALL


def test_the_worker_presents_a_week_again_after_k_changed(client_for, coach, organisation):
    team, _ = busy_team(organisation, size=6)
    roll_up()
    presented = OrganisationWeek.objects.get(week_start=MONDAY).built_for
    Organisation.objects.filter(pk=organisation.pk).update(anonymity_threshold=7)
    catch_up()
    assert OrganisationWeek.objects.get(week_start=MONDAY).built_for != presented
    assert team_week(read(client_for, coach, organisation), team)["active"] == TOO_SMALL


def test_a_theme_added_after_the_week_was_presented_has_its_cell(client_for, coach, organisation):
    team, _ = busy_team(organisation)
    roll_up()
    exercise("newly-added")
    body = read(client_for, coach, organisation)
    assert "newly-added" in body["themes"]
    assert team_week(body, team)["completions_by_theme"]["newly-added"] == HIDDEN


def test_a_deleted_team_leaves_the_organisation_row_at_once(client_for, coach, organisation):
    kept, _ = busy_team(organisation, size=5)
    deleted, _ = busy_team(organisation, size=6)
    roll_up()
    deleted.delete()
    whole = organisation_week(read(client_for, coach, organisation))
    assert whole["active"] == shown(5)
    catch_up()
    assert organisation_week(read(client_for, coach, organisation)) == whole


# The query count does not grow with teams, weeks or runs


def api(coach, organisation, query: str, path: str):
    client = APIClient()
    client.force_authenticate(coach)
    return client.get(insights_url(organisation, query, path))


def dashboard(coach, organisation, query: str, path: str):
    client = Client()
    client.force_login(coach)
    return client.get(f"/coach/organisations/{organisation.pk}/?{query}")


DOORS = pytest.mark.parametrize(
    ("door", "path"), [(api, "insights"), (api, "insights.csv"), (dashboard, "")], ids=["json", "csv", "dashboard"]
)


def count_queries(door, path, coach, organisation, query: str = EIGHT_WEEKS) -> int:
    with at(AFTER), CaptureQueriesContext(connection) as captured:
        response = door(coach, organisation, query, path)
    assert response.status_code == 200, response.content
    return len(captured)


def rolled_up_organisation(*, teams: int = 2, weeks: int = 1, runs: int = 1, coach_of_one_team: bool = False):
    """An organisation of busy teams, rolled up for `weeks` weeks, and its coach."""
    organisation = OrganisationFactory()
    made = [busy_team(organisation, runs=runs)[0] for _ in range(teams)]
    for n in range(weeks):
        roll_up(MONDAY - timedelta(weeks=n))
    coach = CoachAssignmentFactory(organisation=organisation, team=made[0] if coach_of_one_team else None).coach
    return coach, organisation


MORE = pytest.mark.parametrize("more", [{"teams": 10}, {"weeks": 8}, {"runs": 30}], ids=["teams", "weeks", "runs"])


@DOORS
@MORE
def test_reading_costs_the_same_queries_however_much_is_behind_it(door, path, more):
    few = count_queries(door, path, *rolled_up_organisation())
    assert count_queries(door, path, *rolled_up_organisation(**more)) == few


@MORE
def test_a_coach_of_one_team_reads_at_the_same_cost_however_much_is_behind_it(more):
    few = count_queries(api, "insights", *rolled_up_organisation(coach_of_one_team=True))
    assert count_queries(api, "insights", *rolled_up_organisation(coach_of_one_team=True, **more)) == few


def test_the_insights_cost_nine_queries():
    """The coach's assignment, their teams, the themes, the check-in questions, the teams' rows,
    the organisation's rows, the audit row, and the savepoint around the look and its release."""
    assert count_queries(api, "insights", *rolled_up_organisation(teams=10, weeks=8)) == 9


def test_weeks_not_presented_yet_cost_one_query_more_however_many():
    coach, organisation = rolled_up_organisation(weeks=8)
    presented = count_queries(api, "insights", coach, organisation)
    OrganisationWeek.objects.filter(week_start=MONDAY).delete()
    one_week = count_queries(api, "insights", coach, organisation)
    OrganisationWeek.objects.all().delete()
    assert (one_week, count_queries(api, "insights", coach, organisation)) == (presented + 1, presented + 1)

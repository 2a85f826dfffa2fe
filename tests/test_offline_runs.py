"""A phone that was offline says when it started and completed an exercise: the run keeps those
times (within bounds), and the streak and the weekly look-back count it on the day it was done."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from exercises.factories import ExerciseFactory, RunFactory
from exercises.models import Run
from exercises.selectors import runs_completed_since
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs"
# A Tuesday; its week began on Monday 2026-03-09, the week before on Monday 2026-03-02.
TUESDAY_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LAST_SATURDAY = datetime(2026, 3, 7, 18, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _on_tuesday():
    with time_machine.travel(TUESDAY_NOON, tick=False):
        yield


def start(client, **fields):
    return client.post(
        RUNS, {"exercise": ExerciseFactory().slug, "client_id": str(uuid.uuid4()), **fields}, format="json"
    )


def complete(client, run_id: int, **fields):
    return client.post(f"{RUNS}/{run_id}/complete", fields, format="json")


def test_a_run_started_offline_keeps_the_time_it_started(client_for, member):
    response = start(client_for(member), started_at=LAST_SATURDAY.isoformat())
    assert response.status_code == 201, response.content
    assert datetime.fromisoformat(response.json()["started_at"]) == LAST_SATURDAY


def test_a_run_completed_offline_keeps_the_time_it_was_completed(client_for, member):
    client = client_for(member)
    run = start(client, started_at=(LAST_SATURDAY - timedelta(minutes=5)).isoformat()).json()
    response = complete(client, run["id"], completed_at=LAST_SATURDAY.isoformat())
    assert response.status_code == 200, response.content
    assert Run.objects.get(pk=run["id"]).completed_at == LAST_SATURDAY


def test_a_run_completed_without_a_time_is_completed_now(client_for, member):
    client = client_for(member)
    run = start(client).json()
    assert datetime.fromisoformat(complete(client, run["id"]).json()["completed_at"]) == TUESDAY_NOON


def test_a_run_completed_offline_last_week_keeps_the_streak_going(client_for, member):
    client = client_for(member)
    RunFactory(user=member, started_at=TUESDAY_NOON, completed_at=TUESDAY_NOON)
    run = start(client, started_at=LAST_SATURDAY.isoformat()).json()
    complete(client, run["id"], completed_at=LAST_SATURDAY.isoformat())
    assert client.get("/api/v1/today").json()["streak"] == {"weeks": 2, "this_week_done": True}


def test_the_weekly_look_back_counts_a_run_on_the_day_it_was_done(client_for, member):
    client = client_for(member)
    run = start(client, started_at=LAST_SATURDAY.isoformat()).json()
    complete(client, run["id"], completed_at=LAST_SATURDAY.isoformat())
    this_week = datetime(2026, 3, 9, tzinfo=UTC)
    assert runs_completed_since(user=member, since=this_week).count() == 0
    assert runs_completed_since(user=member, since=this_week - timedelta(weeks=1)).count() == 1


def test_completing_again_keeps_the_first_completion_time(client_for, member):
    client = client_for(member)
    run = start(client, started_at=LAST_SATURDAY.isoformat()).json()
    complete(client, run["id"], completed_at=LAST_SATURDAY.isoformat())
    again = complete(client, run["id"], completed_at=(LAST_SATURDAY + timedelta(hours=1)).isoformat())
    assert datetime.fromisoformat(again.json()["completed_at"]) == LAST_SATURDAY


@pytest.mark.parametrize(
    "when, code",
    [
        (TUESDAY_NOON + timedelta(hours=1), "occurred_in_future"),
        (TUESDAY_NOON - timedelta(days=15), "occurred_too_long_ago"),
    ],
)
def test_a_completion_out_of_bounds_is_refused_and_the_run_stays_open(client_for, member, when, code):
    client = client_for(member)
    run = start(client).json()
    refused = complete(client, run["id"], completed_at=when.isoformat())
    assert (refused.status_code, error_codes(refused)) == (400, [("completed_at", code)])
    assert Run.objects.get(pk=run["id"]).completed_at is None


def test_a_start_out_of_bounds_is_refused_and_nothing_is_started(client_for, member):
    refused = start(client_for(member), started_at=(TUESDAY_NOON + timedelta(days=1)).isoformat())
    assert (refused.status_code, error_codes(refused)) == (400, [("started_at", "occurred_in_future")])
    assert not Run.objects.exists()


def test_a_run_cannot_be_completed_before_it_started(client_for, member):
    client = client_for(member)
    run = start(client, started_at=LAST_SATURDAY.isoformat()).json()
    refused = complete(client, run["id"], completed_at=(LAST_SATURDAY - timedelta(hours=1)).isoformat())
    assert (refused.status_code, error_codes(refused)) == (400, [("completed_at", "completed_before_started")])


def test_a_completion_a_little_before_the_start_is_the_two_clocks_drifting(client_for, member):
    client = client_for(member)
    run = start(client).json()
    response = complete(client, run["id"], completed_at=(TUESDAY_NOON - timedelta(minutes=2)).isoformat())
    assert datetime.fromisoformat(response.json()["completed_at"]) == TUESDAY_NOON


@pytest.mark.parametrize("nonsense", ["yesterday", "٢٠٢٦-٠٣-٠٧T18:00Z", 1741370400, {"at": "now"}, ""])
def test_a_completion_time_that_is_not_a_time_is_refused(client_for, member, nonsense):
    client = client_for(member)
    run = start(client).json()
    refused = complete(client, run["id"], completed_at=nonsense)
    assert refused.status_code == 400
    assert error_codes(refused)[0][0] == "completed_at"
    assert Run.objects.get(pk=run["id"]).completed_at is None


def test_someone_else_cannot_complete_my_run_even_with_a_time(client_for, member, teammate):
    run = start(client_for(member)).json()
    refused = complete(client_for(teammate), run["id"], completed_at=LAST_SATURDAY.isoformat())
    assert (refused.status_code, error_codes(refused)) == (404, [(None, "run_not_found")])

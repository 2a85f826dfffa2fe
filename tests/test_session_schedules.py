"""Scheduled and recurring group sessions: a lead schedules one, the worker opens it when its
time comes and tells the team, a series makes its next occurrence, and either can be cancelled."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from common.errors import Conflict
from demo.seed import demo_seed
from events.models import Event
from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from exercises.services import content_pack_load
from group_sessions.models import GroupSession, SessionSeries
from group_sessions.services import scheduled_sessions_open, session_advance, session_start
from group_sessions.tasks import open_scheduled_sessions
from nudges.models import Kind, Nudge
from tests.conftest import error_codes
from worker.schedule import enqueue_due_jobs

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # a Monday
TOMORROW_TEN = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def exercise() -> Exercise:
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.SHARE)
    return exercise


def schedule(client, team, exercise, **fields):
    body = {"exercise": exercise.slug, "client_id": str(uuid.uuid4()), **fields}
    return client.post(f"/api/v1/teams/{team.pk}/sessions", body, format="json")


def scheduled(lead, team, exercise, *, starts_at=TOMORROW_TEN, repeat="never") -> GroupSession:
    session, _ = session_start(
        lead=lead,
        team_id=team.pk,
        exercise_slug=exercise.slug,
        client_id=uuid.uuid4(),
        starts_at=starts_at,
        repeat=repeat,
    )
    return session


def test_a_lead_schedules_a_weekly_session_and_nobody_is_told_yet(client_for, lead, member, team, exercise):
    response = schedule(client_for(lead), team, exercise, starts_at="2026-12-08T11:00:00+01:00", repeat="weekly")

    assert response.status_code == 201
    body = response.json()
    assert (body["phase"], body["starts_at"], body["repeat"]) == ("scheduled", "2026-12-08T10:00:00+00:00", "weekly")
    assert not Nudge.objects.filter(kind=Kind.SESSION_STARTED).exists()
    assert not Event.objects.filter(type="session.started").exists()


def test_a_scheduled_session_leaves_the_team_free_to_start_another_now(client_for, lead, team, exercise):
    scheduled(lead, team, exercise)

    response = schedule(client_for(lead), team, exercise)

    assert (response.status_code, response.json()["phase"]) == (201, "lobby")


def test_a_retry_of_the_same_schedule_gets_the_same_session(client_for, lead, team, exercise):
    body = {"exercise": exercise.slug, "client_id": str(uuid.uuid4()), "starts_at": TOMORROW_TEN.isoformat()}
    client = client_for(lead)
    first = client.post(f"/api/v1/teams/{team.pk}/sessions", body, format="json")
    again = client.post(f"/api/v1/teams/{team.pk}/sessions", body, format="json")
    moved = client.post(
        f"/api/v1/teams/{team.pk}/sessions", {**body, "starts_at": "2026-12-09T10:00:00Z"}, format="json"
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert error_codes(moved) == [(None, "idempotency_conflict")]
    assert SessionSeries.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"starts_at": "2026-12-07T08:59:00Z"}, ("starts_at", "starts_at_past")),
        ({"starts_at": "2028-01-01T10:00:00Z"}, ("starts_at", "starts_at_too_far")),
        ({"repeat": "weekly"}, ("starts_at", "starts_at_needed")),
        ({"starts_at": "2026-12-08T10:00:00Z", "repeat": "daily"}, ("repeat", "invalid_choice")),
        ({"starts_at": "next tuesday"}, ("starts_at", "invalid")),
    ],
)
def test_a_schedule_that_makes_no_sense_is_refused_and_nothing_is_written(
    client_for, lead, team, exercise, fields, expected
):
    response = schedule(client_for(lead), team, exercise, **fields)

    assert response.status_code == 400
    assert error_codes(response) == [expected]
    assert not GroupSession.objects.exists() and not SessionSeries.objects.exists()


def test_a_member_cannot_schedule_a_session(client_for, member, team, exercise):
    response = schedule(client_for(member), team, exercise, starts_at=TOMORROW_TEN.isoformat())

    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_team_lead")]


def test_nothing_opens_before_its_time(lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise)
    _frozen_clock.move_to(TOMORROW_TEN - timedelta(seconds=1))

    assert scheduled_sessions_open() == []
    session.refresh_from_db()
    assert session.phase == GroupSession.Phase.SCHEDULED


def test_when_its_time_comes_the_session_opens_and_the_whole_team_is_told(
    lead, member, teammate, team, exercise, _frozen_clock
):
    session = scheduled(lead, team, exercise)
    _frozen_clock.move_to(TOMORROW_TEN + timedelta(seconds=20))

    assert scheduled_sessions_open() == [session.pk]

    session.refresh_from_db()
    assert (session.phase, session.facilitator_id) == (GroupSession.Phase.LOBBY, lead.pk)
    told = {lead.pk, member.pk, teammate.pk}
    assert set(Nudge.objects.filter(kind=Kind.SESSION_STARTED).values_list("user_id", flat=True)) == told
    assert set(Event.objects.filter(type="session.started").values_list("user_id", flat=True)) == told


def test_opening_twice_opens_once_and_tells_once(lead, member, team, exercise, _frozen_clock):
    """Two workers ticking at the same moment: the conditional update has one winner."""
    session = scheduled(lead, team, exercise, repeat="weekly")
    _frozen_clock.move_to(TOMORROW_TEN)

    assert scheduled_sessions_open() == [session.pk]
    assert scheduled_sessions_open() == []

    assert Nudge.objects.filter(kind=Kind.SESSION_STARTED, user=member).count() == 1
    assert GroupSession.objects.filter(series=session.series).count() == 2


def test_a_weekly_series_schedules_its_next_occurrence_when_one_opens(lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise, repeat="weekly")
    _frozen_clock.move_to(TOMORROW_TEN)

    scheduled_sessions_open()

    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    assert following.starts_at == TOMORROW_TEN + timedelta(weeks=1)


def test_a_fortnightly_series_comes_back_two_weeks_later(lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise, repeat="fortnightly")
    _frozen_clock.move_to(TOMORROW_TEN)

    scheduled_sessions_open()

    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    assert following.starts_at == TOMORROW_TEN + timedelta(weeks=2)


def test_a_session_whose_team_is_busy_waits_for_the_live_one_to_end(lead, team, exercise, _frozen_clock):
    waiting = scheduled(lead, team, exercise)
    live, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
    _frozen_clock.move_to(TOMORROW_TEN)

    assert scheduled_sessions_open() == []
    GroupSession.objects.filter(pk=live.pk).update(phase=GroupSession.Phase.ENDED)
    _frozen_clock.move_to(TOMORROW_TEN + timedelta(minutes=10))
    assert scheduled_sessions_open() == [waiting.pk]


def test_a_session_that_could_not_open_within_the_grace_is_missed_and_its_series_goes_on(
    lead, member, team, exercise, _frozen_clock, settings
):
    session = scheduled(lead, team, exercise, repeat="weekly")
    _frozen_clock.move_to(TOMORROW_TEN + timedelta(minutes=settings.SESSION_OPEN_GRACE_MINUTES + 1))

    assert scheduled_sessions_open() == []

    session.refresh_from_db()
    assert session.phase == GroupSession.Phase.MISSED
    assert not Nudge.objects.filter(kind=Kind.SESSION_STARTED).exists()
    assert GroupSession.objects.filter(series=session.series, phase=GroupSession.Phase.SCHEDULED).exists()


def test_a_series_left_unattended_resumes_from_the_next_time_to_come(lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise, repeat="weekly")
    _frozen_clock.move_to(TOMORROW_TEN + timedelta(weeks=3, hours=2))

    scheduled_sessions_open()

    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    assert following.starts_at == TOMORROW_TEN + timedelta(weeks=4)


def test_a_session_scheduled_by_someone_who_left_opens_with_a_lead_facilitating(
    lead, member, team, exercise, _frozen_clock
):
    team.members_facilitate = True
    team.save()
    session = scheduled(member, team, exercise)
    team.memberships.filter(user=member).delete()
    _frozen_clock.move_to(TOMORROW_TEN)

    scheduled_sessions_open()

    session.refresh_from_db()
    assert session.facilitator_id == lead.pk


def test_the_facilitator_cannot_step_a_session_that_has_not_opened(lead, team, exercise):
    session = scheduled(lead, team, exercise)

    with pytest.raises(Conflict) as refusal:
        session_advance(user=lead, session_id=session.pk, version=session.version)
    assert refusal.value.code == "session_not_open"


def test_the_lead_cancels_one_occurrence_and_the_series_goes_on(client_for, lead, team, exercise):
    session = scheduled(lead, team, exercise, repeat="weekly")

    response = client_for(lead).post(f"/api/v1/sessions/{session.pk}/cancel", {}, format="json")

    assert (response.status_code, response.json()["phase"]) == (200, "cancelled")
    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    assert following.starts_at == TOMORROW_TEN + timedelta(weeks=1)


def test_the_lead_cancels_a_whole_series_and_nothing_more_opens(client_for, lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise, repeat="weekly")

    response = client_for(lead).post(f"/api/v1/sessions/{session.pk}/cancel", {"whole_series": True}, format="json")

    assert response.status_code == 200
    session.series.refresh_from_db()
    assert session.series.cancelled_at == NOW
    _frozen_clock.move_to(TOMORROW_TEN + timedelta(weeks=5))
    assert scheduled_sessions_open() == []
    assert not GroupSession.objects.filter(phase=GroupSession.Phase.SCHEDULED).exists()


def test_a_member_cannot_cancel_someone_elses_scheduled_session(client_for, lead, member, team, exercise):
    session = scheduled(lead, team, exercise)

    response = client_for(member).post(f"/api/v1/sessions/{session.pk}/cancel", {}, format="json")

    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_scheduler")]


def test_a_session_that_has_opened_cannot_be_cancelled(client_for, lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise)
    _frozen_clock.move_to(TOMORROW_TEN)
    scheduled_sessions_open()

    response = client_for(lead).post(f"/api/v1/sessions/{session.pk}/cancel", {}, format="json")

    assert response.status_code == 409
    assert error_codes(response) == [(None, "not_scheduled")]


def test_someone_from_another_organisation_cannot_cancel_it(client_for, lead, outsider, team, exercise):
    session = scheduled(lead, team, exercise)

    response = client_for(outsider).post(f"/api/v1/sessions/{session.pk}/cancel", {}, format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "session_not_found")]


def test_the_demo_team_north_meets_every_week():
    content_pack_load()
    demo_seed()

    series = SessionSeries.objects.get(team__name="North")
    assert (series.repeat, series.starts_at > NOW, series.starts_at.weekday()) == ("weekly", True, 2)
    assert series.occurrences.get().phase == GroupSession.Phase.SCHEDULED


def test_the_workers_clock_runs_the_opening_every_half_minute(lead, team, exercise, _frozen_clock):
    session = scheduled(lead, team, exercise)
    _frozen_clock.move_to(TOMORROW_TEN)

    assert "open_scheduled_sessions" in enqueue_due_jobs()
    assert open_scheduled_sessions.call() == 1
    session.refresh_from_db()
    assert session.phase == GroupSession.Phase.LOBBY

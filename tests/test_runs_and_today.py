"""Runs (starting and completing an exercise) and today's screen: the daily recommendation,
whether it is done, the gentle weekly streak and unread acknowledgements, on the person's own
local calendar."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from acknowledgements.factories import AcknowledgementFactory
from exercises.factories import ExerciseFactory, RunFactory, ThemeFactory
from exercises.models import Exercise, Run
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

RUNS = "/api/v1/runs"
TODAY = "/api/v1/today"

NOT_THE_RUNNER = ["teammate", "lead", "coach", "colleague", "outsider", "staff_admin"]

# A Tuesday; its week began on Monday 2026-03-09.
TUESDAY_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def complete_url(run_id) -> str:
    return f"{RUNS}/{run_id}/complete"


def at(when: datetime):
    return time_machine.travel(when, tick=False)


def today(client_for, user, when: datetime) -> dict:
    """GET /today as the person at that instant (a fresh token, valid at that instant)."""
    with at(when):
        response = client_for(user).get(TODAY)
    assert response.status_code == 200
    return response.json()


def completed(user, exercise, when: datetime) -> Run:
    return RunFactory(user=user, exercise=exercise, started_at=when - timedelta(minutes=5), completed_at=when)


def start_body(of: Exercise, **overrides) -> dict:
    data = {"exercise": of.slug, "client_id": str(uuid.uuid4())}
    data.update(overrides)
    return data


# --- starting a run ------------------------------------------------------------------------


def test_a_person_starts_a_run_of_an_exercise(client_for, member):
    exercise = ExerciseFactory(mode=Exercise.Mode.PAIR)
    data = start_body(exercise)

    with at(TUESDAY_NOON):
        response = client_for(member).post(RUNS, data, format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["client_id"] == data["client_id"]
    assert body["exercise"] == {
        "slug": exercise.slug,
        "title": exercise.title,
        "theme": {"slug": exercise.theme.slug, "name": exercise.theme.name},
        "mode": "pair",
    }
    assert body["completed_at"] is None
    run = Run.objects.get()
    assert (run.pk, run.user, run.exercise, run.completed_at) == (body["id"], member, exercise, None)
    assert run.started_at == TUESDAY_NOON


def test_starting_again_with_the_same_client_id_returns_the_first_run(client_for, member):
    exercise = ExerciseFactory()
    client = client_for(member)
    data = start_body(exercise)

    first = client.post(RUNS, data, format="json")
    again = client.post(RUNS, data, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Run.objects.count() == 1


def test_two_people_may_start_runs_with_the_same_client_id(client_for, member, teammate):
    exercise = ExerciseFactory()
    data = start_body(exercise)

    mine = client_for(member).post(RUNS, data, format="json")
    theirs = client_for(teammate).post(RUNS, data, format="json")

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert set(Run.objects.values_list("user", flat=True)) == {member.pk, teammate.pk}


def test_a_run_of_an_unknown_exercise_is_refused(client_for, member):
    ExerciseFactory(slug="known")

    response = client_for(member).post(RUNS, {"exercise": "unknown", "client_id": str(uuid.uuid4())}, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("exercise", "exercise_not_found")]
    assert Run.objects.count() == 0


def test_a_run_of_a_retired_exercise_is_refused(client_for, member):
    retired = ExerciseFactory(is_active=False)

    response = client_for(member).post(RUNS, start_body(retired), format="json")

    assert response.status_code == 400
    assert error_codes(response) == [("exercise", "exercise_not_found")]
    assert Run.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, expected",
    [
        ({"exercise": "not a slug!"}, ("exercise", "invalid")),
        ({"exercise": ["a-list"]}, ("exercise", "invalid")),
        ({"exercise": None}, ("exercise", "null")),
        ({"exercise": ""}, ("exercise", "blank")),
        ({"exercise": "x" * 61}, ("exercise", "max_length")),
        ({"client_id": "not-a-uuid"}, ("client_id", "invalid")),
        ({"client_id": ["a-list"]}, ("client_id", "invalid")),
        ({"client_id": None}, ("client_id", "null")),
    ],
)
def test_nonsense_when_starting_a_run_is_refused_and_nothing_is_written(client_for, member, overrides, expected):
    exercise = ExerciseFactory()

    response = client_for(member).post(RUNS, start_body(exercise, **overrides), format="json")

    assert response.status_code == 400
    assert expected in error_codes(response)
    assert Run.objects.count() == 0


@pytest.mark.parametrize("missing", ["exercise", "client_id"])
def test_a_run_without_a_required_part_is_refused(client_for, member, missing):
    data = start_body(ExerciseFactory())
    del data[missing]

    response = client_for(member).post(RUNS, data, format="json")

    assert response.status_code == 400
    assert error_codes(response) == [(missing, "required")]
    assert Run.objects.count() == 0


def test_an_anonymous_person_cannot_start_a_run(anonymous):
    response = anonymous.post(RUNS, start_body(ExerciseFactory()), format="json")

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    assert Run.objects.count() == 0


# --- completing a run ----------------------------------------------------------------------


def test_a_person_completes_their_run(client_for, member):
    run = RunFactory(user=member, started_at=TUESDAY_NOON - timedelta(minutes=5))

    with at(TUESDAY_NOON):
        response = client_for(member).post(complete_url(run.pk), format="json")

    assert response.status_code == 200
    assert response.json()["id"] == run.pk
    assert datetime.fromisoformat(response.json()["completed_at"]) == TUESDAY_NOON
    run.refresh_from_db()
    assert run.completed_at == TUESDAY_NOON


def test_completing_twice_keeps_the_first_completion_time(client_for, member):
    run = RunFactory(user=member, started_at=TUESDAY_NOON - timedelta(minutes=5))
    with at(TUESDAY_NOON):
        client_for(member).post(complete_url(run.pk), format="json")

    with at(TUESDAY_NOON + timedelta(hours=3)):
        again = client_for(member).post(complete_url(run.pk), format="json")

    assert again.status_code == 200
    assert datetime.fromisoformat(again.json()["completed_at"]) == TUESDAY_NOON
    run.refresh_from_db()
    assert run.completed_at == TUESDAY_NOON


@pytest.mark.parametrize("who", NOT_THE_RUNNER)
def test_nobody_else_can_complete_a_persons_run(request, client_for, member, who):
    run = RunFactory(user=member)
    other = request.getfixturevalue(who)

    response = client_for(other).post(complete_url(run.pk), format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "run_not_found")]
    run.refresh_from_db()
    assert run.completed_at is None


def test_completing_an_unknown_run_is_not_found(client_for, member):
    response = client_for(member).post(complete_url(999999), format="json")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "run_not_found")]


def test_an_anonymous_person_cannot_complete_a_run(anonymous, member):
    run = RunFactory(user=member)

    response = anonymous.post(complete_url(run.pk), format="json")

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]
    run.refresh_from_db()
    assert run.completed_at is None


def test_a_run_of_an_exercise_retired_since_can_still_be_completed(client_for, member):
    exercise = ExerciseFactory()
    run = RunFactory(user=member, exercise=exercise)
    Exercise.objects.filter(pk=exercise.pk).update(is_active=False)

    response = client_for(member).post(complete_url(run.pk), format="json")

    assert response.status_code == 200
    run.refresh_from_db()
    assert run.completed_at is not None


# --- history -------------------------------------------------------------------------------


def test_the_history_shows_only_ones_own_runs_newest_first(client_for, member, teammate, outsider):
    exercise = ExerciseFactory()
    client = client_for(member)
    ids = [client.post(RUNS, start_body(exercise), format="json").json()["id"] for _ in range(3)]
    RunFactory(user=teammate, exercise=exercise)
    RunFactory(user=outsider, exercise=exercise)

    response = client.get(RUNS)

    assert response.status_code == 200
    assert [run["id"] for run in response.json()["results"]] == list(reversed(ids))


def test_the_history_shows_which_runs_were_completed(client_for, member):
    done = RunFactory(user=member, completed_at=TUESDAY_NOON)
    open_run = RunFactory(user=member)

    results = client_for(member).get(RUNS).json()["results"]

    completed_at = {run["id"]: run["completed_at"] for run in results}
    assert completed_at[open_run.pk] is None
    assert datetime.fromisoformat(completed_at[done.pk]) == TUESDAY_NOON


def test_the_history_is_cursor_paginated_without_gaps_or_repeats(client_for, member):
    mine = [RunFactory(user=member).pk for _ in range(5)]
    client = client_for(member)

    page = client.get(RUNS, {"limit": 2}).json()
    seen = [run["id"] for run in page["results"]]
    pages = 1
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [run["id"] for run in page["results"]]
        pages += 1

    assert pages == 3
    assert seen == sorted(mine, reverse=True)


@pytest.mark.parametrize("who", NOT_THE_RUNNER)
def test_nobody_else_sees_a_persons_runs(request, client_for, member, who):
    RunFactory(user=member)
    other = request.getfixturevalue(who)

    response = client_for(other).get(RUNS)

    assert response.status_code == 200
    assert response.json()["results"] == []


def test_an_anonymous_person_has_no_history(anonymous, member):
    RunFactory(user=member)

    response = anonymous.get(RUNS)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


# --- today: the recommendation -------------------------------------------------------------


def test_today_for_a_newcomer(client_for, member):
    exercise = ExerciseFactory(mode=Exercise.Mode.SOLO)

    body = today(client_for, member, TUESDAY_NOON)

    assert body["date"] == "2026-03-10"
    assert body["exercise"]["slug"] == exercise.slug
    positions = [step["position"] for step in body["exercise"]["steps"]]
    assert positions == sorted(exercise.steps.values_list("position", flat=True))
    assert len(positions) == 2
    assert body["completed_today"] is False
    assert body["streak"] == {"weeks": 0, "this_week_done": False}
    assert body["unread_acknowledgements"] == 0


def test_an_anonymous_person_has_no_today(anonymous):
    response = anonymous.get(TODAY)

    assert response.status_code == 401
    assert error_codes(response) == [(None, "not_authenticated")]


@pytest.mark.parametrize("personal_mode", [Exercise.Mode.SOLO, Exercise.Mode.PAIR])
def test_the_recommendation_is_never_a_group_exercise(client_for, member, personal_mode):
    for _ in range(4):
        ExerciseFactory(mode=Exercise.Mode.GROUP)
    personal = ExerciseFactory(mode=personal_mode)

    for day in range(7):
        body = today(client_for, member, TUESDAY_NOON + timedelta(days=day))
        assert body["exercise"]["slug"] == personal.slug


def test_with_only_group_exercises_there_is_no_recommendation(client_for, member):
    ExerciseFactory(mode=Exercise.Mode.GROUP)

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"] is None


def test_a_retired_exercise_is_never_recommended(client_for, member):
    for _ in range(3):
        ExerciseFactory(is_active=False)
    active = ExerciseFactory(mode=Exercise.Mode.PAIR)

    for day in range(7):
        body = today(client_for, member, TUESDAY_NOON + timedelta(days=day))
        assert body["exercise"]["slug"] == active.slug


@pytest.fixture
def two_themes():
    """Themes A and B with two solo exercises each."""
    a, b = ThemeFactory(slug="theme-a"), ThemeFactory(slug="theme-b")
    return {
        "a": [ExerciseFactory(theme=a), ExerciseFactory(theme=a)],
        "b": [ExerciseFactory(theme=b), ExerciseFactory(theme=b)],
    }


@pytest.mark.parametrize("done, expected", [("a", "theme-b"), ("b", "theme-a")])
def test_after_one_theme_yesterday_the_recommendation_moves_to_another(client_for, member, two_themes, done, expected):
    completed(member, two_themes[done][0], TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["theme"]["slug"] == expected


def test_the_theme_done_longest_ago_comes_back_first(client_for, member, two_themes):
    completed(member, two_themes["a"][0], TUESDAY_NOON - timedelta(days=3))
    completed(member, two_themes["b"][0], TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["theme"]["slug"] == "theme-a"
    assert body["exercise"]["slug"] == two_themes["a"][1].slug


@pytest.mark.parametrize("done_index", [0, 1])
def test_the_recommendation_avoids_a_recently_done_exercise(client_for, member, done_index):
    theme = ThemeFactory()
    exercises = [ExerciseFactory(theme=theme), ExerciseFactory(theme=theme)]
    completed(member, exercises[done_index], TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["slug"] == exercises[1 - done_index].slug


def test_when_everything_was_done_recently_the_one_done_longest_ago_comes_back(client_for, member):
    theme = ThemeFactory()
    early, late = ExerciseFactory(theme=theme), ExerciseFactory(theme=theme)
    completed(member, early, TUESDAY_NOON - timedelta(days=3))
    completed(member, late, TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["slug"] == early.slug


def test_a_started_but_unfinished_run_does_not_move_the_recommendation(client_for, member, two_themes):
    untouched = today(client_for, member, TUESDAY_NOON)["exercise"]["slug"]
    RunFactory(user=member, exercise=Exercise.objects.get(slug=untouched), started_at=TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["slug"] == untouched


def test_the_recommendation_holds_all_day_even_after_doing_it(client_for, member, two_themes):
    morning = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
    recommended = today(client_for, member, morning)["exercise"]
    exercise = Exercise.objects.get(slug=recommended["slug"])
    with at(morning + timedelta(minutes=1)):
        run_id = client_for(member).post(RUNS, start_body(exercise), format="json").json()["id"]
    with at(morning + timedelta(minutes=10)):
        done = client_for(member).post(complete_url(run_id), format="json")
    assert done.status_code == 200

    evening = today(client_for, member, datetime(2026, 3, 10, 23, 30, tzinfo=UTC))
    tomorrow = today(client_for, member, datetime(2026, 3, 11, 8, 0, tzinfo=UTC))

    assert evening["exercise"]["slug"] == recommended["slug"]
    assert evening["completed_today"] is True
    # The next day the completed run counts, so the theme moves on.
    assert tomorrow["exercise"]["theme"]["slug"] != recommended["theme"]["slug"]


def test_the_recommendation_turns_over_at_the_persons_local_midnight(client_for, member, two_themes):
    member.time_zone = "Pacific/Kiritimati"  # UTC+14
    member.save(update_fields=["time_zone"])
    # 09:00 UTC on 10 March is 23:00 on 10 March in Kiritimati.
    completed(member, two_themes["a"][0], datetime(2026, 3, 10, 9, 0, tzinfo=UTC))

    # 10:30 UTC is already 00:30 on 11 March there: yesterday's run counts, theme B is next.
    body = today(client_for, member, datetime(2026, 3, 10, 10, 30, tzinfo=UTC))

    assert body["date"] == "2026-03-11"
    assert body["exercise"]["theme"]["slug"] == "theme-b"
    assert body["completed_today"] is False


def test_a_teammates_runs_do_not_move_ones_own_recommendation(client_for, member, teammate, two_themes):
    alone = today(client_for, member, TUESDAY_NOON)["exercise"]["slug"]
    completed(teammate, Exercise.objects.get(slug=alone), TUESDAY_NOON - timedelta(days=1))
    completed(teammate, Exercise.objects.get(slug=alone), TUESDAY_NOON - timedelta(hours=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["exercise"]["slug"] == alone
    assert body["completed_today"] is False
    assert body["streak"] == {"weeks": 0, "this_week_done": False}


# --- today: done, streak, acknowledgements, date -------------------------------------------


def test_completed_today_turns_true_once_a_run_is_completed(client_for, member):
    exercise = ExerciseFactory()
    with at(TUESDAY_NOON - timedelta(hours=1)):
        run_id = client_for(member).post(RUNS, start_body(exercise), format="json").json()["id"]
    started = today(client_for, member, TUESDAY_NOON - timedelta(minutes=30))
    with at(TUESDAY_NOON - timedelta(minutes=20)):
        client_for(member).post(complete_url(run_id), format="json")

    body = today(client_for, member, TUESDAY_NOON)

    assert started["completed_today"] is False
    assert body["completed_today"] is True
    assert body["streak"] == {"weeks": 1, "this_week_done": True}


def test_yesterdays_completion_does_not_count_as_done_today(client_for, member):
    completed(member, ExerciseFactory(), TUESDAY_NOON - timedelta(days=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["completed_today"] is False


def test_done_today_follows_the_local_day_not_the_utc_day(client_for, member):
    member.time_zone = "Pacific/Kiritimati"  # UTC+14
    member.save(update_fields=["time_zone"])
    # 09:00 UTC on 10 March is 23:00 on 10 March there.
    completed(member, ExerciseFactory(), datetime(2026, 3, 10, 9, 0, tzinfo=UTC))

    # 09:30 UTC is 23:30 on 10 March there: still the same local day.
    same_evening = today(client_for, member, datetime(2026, 3, 10, 9, 30, tzinfo=UTC))
    # 10:30 UTC is still 10 March in UTC, but 00:30 on 11 March there: a new local day.
    after_local_midnight = today(client_for, member, datetime(2026, 3, 10, 10, 30, tzinfo=UTC))

    assert same_evening["completed_today"] is True
    assert after_local_midnight["completed_today"] is False


def test_with_no_completed_runs_there_is_no_streak(client_for, member):
    RunFactory(user=member, started_at=TUESDAY_NOON - timedelta(days=7))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 0, "this_week_done": False}


def test_the_streak_counts_consecutive_weeks_with_a_completed_run(client_for, member):
    exercise = ExerciseFactory()
    for weeks_ago in range(3):
        completed(member, exercise, TUESDAY_NOON - timedelta(weeks=weeks_ago, hours=1))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 3, "this_week_done": True}


def test_several_runs_in_one_week_count_as_one_week(client_for, member):
    exercise = ExerciseFactory()
    for hours_ago in (1, 2, 25):
        completed(member, exercise, TUESDAY_NOON - timedelta(hours=hours_ago))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 1, "this_week_done": True}


def test_a_week_not_yet_done_does_not_break_the_streak_until_it_is_over(client_for, member):
    exercise = ExerciseFactory()
    completed(member, exercise, TUESDAY_NOON - timedelta(weeks=1))
    completed(member, exercise, TUESDAY_NOON - timedelta(weeks=2))

    # Sunday evening of the current week, nothing done yet this week.
    sunday = today(client_for, member, datetime(2026, 3, 15, 22, 0, tzinfo=UTC))
    # Monday: the week without a run is over.
    monday = today(client_for, member, datetime(2026, 3, 16, 1, 0, tzinfo=UTC))

    assert sunday["streak"] == {"weeks": 2, "this_week_done": False}
    assert monday["streak"] == {"weeks": 0, "this_week_done": False}


def test_a_missed_week_breaks_the_streak(client_for, member):
    exercise = ExerciseFactory()
    completed(member, exercise, TUESDAY_NOON - timedelta(hours=1))
    completed(member, exercise, TUESDAY_NOON - timedelta(weeks=2))
    completed(member, exercise, TUESDAY_NOON - timedelta(weeks=3))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 1, "this_week_done": True}


def test_streak_weeks_are_the_persons_local_weeks(client_for, member):
    member.time_zone = "Pacific/Kiritimati"  # UTC+14
    member.save(update_fields=["time_zone"])
    # Sunday 8 March 11:00 UTC is Monday 9 March 01:00 there: this week, not last week.
    completed(member, ExerciseFactory(), datetime(2026, 3, 8, 11, 0, tzinfo=UTC))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 1, "this_week_done": True}


def test_a_run_late_on_a_local_sunday_belongs_to_the_week_before(client_for, member):
    member.time_zone = "Pacific/Pago_Pago"  # UTC-11
    member.save(update_fields=["time_zone"])
    # Monday 9 March 05:00 UTC is still Sunday 8 March 18:00 there: last week.
    completed(member, ExerciseFactory(), datetime(2026, 3, 9, 5, 0, tzinfo=UTC))

    body = today(client_for, member, TUESDAY_NOON)

    assert body["streak"] == {"weeks": 1, "this_week_done": False}


def test_unread_acknowledgements_counts_only_unread_ones_received(client_for, member, teammate, colleague):
    AcknowledgementFactory(sender=teammate, recipient=member)
    AcknowledgementFactory(sender=colleague, recipient=member)
    AcknowledgementFactory(sender=teammate, recipient=member, read_at=TUESDAY_NOON - timedelta(days=1))
    AcknowledgementFactory(sender=member, recipient=teammate)
    AcknowledgementFactory(sender=colleague, recipient=teammate)

    body = today(client_for, member, TUESDAY_NOON)

    assert body["unread_acknowledgements"] == 2


@pytest.mark.parametrize(
    "time_zone, when, expected",
    [
        ("UTC", TUESDAY_NOON, "2026-03-10"),
        ("Pacific/Kiritimati", TUESDAY_NOON, "2026-03-11"),  # UTC+14: 02:00 on the 11th
        ("Pacific/Pago_Pago", TUESDAY_NOON, "2026-03-10"),  # UTC-11: 01:00 on the 10th
        ("Pacific/Pago_Pago", datetime(2026, 3, 10, 9, 0, tzinfo=UTC), "2026-03-09"),  # 22:00 on the 9th
        ("Pacific/Kiritimati", datetime(2026, 3, 9, 9, 59, tzinfo=UTC), "2026-03-09"),  # 23:59 on the 9th
    ],
)
def test_today_is_the_persons_local_date(client_for, member, time_zone, when, expected):
    member.time_zone = time_zone
    member.save(update_fields=["time_zone"])

    body = today(client_for, member, when)

    assert body["date"] == expected

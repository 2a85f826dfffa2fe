"""Who an exercise is for (everyone, or leads), what it needs (a partner, a meeting) and when its
reflection prompt comes back (a follow-up delay): in the content pack, the catalogue and today's
pick."""

import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from exercises.content import DEFAULT_PACK, ContentPackError, read_pack
from exercises.factories import ExerciseFactory
from exercises.models import Exercise
from exercises.services import content_pack_load, run_complete, run_start
from nudges.models import Kind, Nudge

pytestmark = pytest.mark.django_db

TODAY = "/api/v1/today"
TUESDAY_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LEADS, EVERYONE = Exercise.Audience.LEADS, Exercise.Audience.EVERYONE
PARTNER, MEETING = Exercise.Need.PARTNER, Exercise.Need.MEETING


@pytest.fixture
def pack(tmp_path) -> Path:
    copy = tmp_path / "content"
    shutil.copytree(DEFAULT_PACK, copy)
    return copy


def picks(client_for, user, days: int = 7) -> set[str | None]:
    """Today's pick for the person over a week."""
    found = set()
    for day in range(days):
        with time_machine.travel(TUESDAY_NOON + timedelta(days=day), tick=False):
            exercise = client_for(user).get(TODAY).json()["exercise"]
        found.add(exercise and exercise["slug"])
    return found


# The content pack


def test_the_shipped_pack_says_who_each_exercise_is_for_and_what_it_needs():
    exercises = {exercise.slug: exercise for exercise in read_pack().exercises}
    assert exercises["rehearse-your-reaction"].audience == LEADS
    assert all(PARTNER in exercise.needs for exercise in exercises.values() if exercise.mode == "pair")
    assert any(MEETING in exercise.needs and exercise.follow_up_minutes for exercise in exercises.values())


def test_loading_the_pack_stores_audience_needs_and_follow_up(pack):
    content_pack_load(directory=pack)
    assert Exercise.objects.get(slug="rehearse-your-reaction").audience == LEADS
    assert Exercise.objects.get(slug="questions-only").needs == [PARTNER]
    assert Exercise.objects.get(slug="ask-before-you-tell").audience == EVERYONE
    assert Exercise.objects.get(slug="ask-before-you-tell").follow_up_minutes == 24 * 60
    assert Exercise.objects.get(slug="questions-only").follow_up_minutes is None


@pytest.mark.parametrize(
    "old, new",
    [
        ('slug = "ask-before-you-tell"\n', 'slug = "ask-before-you-tell"\naudience = "bosses"\n'),
        ('slug = "ask-before-you-tell"\n', 'slug = "ask-before-you-tell"\nneeds = ["a-whiteboard"]\n'),
        ('slug = "ask-before-you-tell"\n', 'slug = "ask-before-you-tell"\nneeds = ["meeting", "meeting"]\n'),
        ('slug = "ask-before-you-tell"\n', 'slug = "ask-before-you-tell"\nfollow_up_minutes = 20160\n'),
        ('slug = "ask-before-you-tell"\n', 'slug = "ask-before-you-tell"\nfollow_up_minutes = "later"\n'),
        ('needs = ["partner"]\n', ""),
    ],
    ids=[
        "unknown audience",
        "unknown need",
        "a need twice",
        "follow-up past a week",
        "follow-up not minutes",
        "pair alone",
    ],
)
def test_a_pack_with_a_bad_audience_need_or_follow_up_is_refused_and_loads_nothing(pack, old, new):
    file = pack / "exercises" / "humble-inquiry.toml"
    text = file.read_text()
    assert old in text
    file.write_text(text.replace(old, new, 1))
    with pytest.raises(ContentPackError):
        content_pack_load(directory=pack)
    assert Exercise.objects.count() == 0


# The catalogue


def test_an_exercise_says_who_it_is_for_what_it_needs_and_when_it_follows_up(client_for, member):
    exercise = ExerciseFactory(audience=LEADS, needs=[MEETING], follow_up_minutes=240)
    body = client_for(member).get(f"/api/v1/exercises/{exercise.slug}").json()
    assert (body["audience"], body["needs"], body["follow_up_minutes"]) == ("leads", ["meeting"], 240)


def test_an_exercise_with_no_follow_up_says_so(client_for, member):
    exercise = ExerciseFactory(mode=Exercise.Mode.PAIR)
    body = client_for(member).get(f"/api/v1/exercises/{exercise.slug}").json()
    assert (body["audience"], body["needs"], body["follow_up_minutes"]) == ("everyone", ["partner"], None)


# Today's pick


def test_an_exercise_for_leads_is_never_picked_for_someone_who_leads_no_team(client_for, member):
    for _ in range(3):
        ExerciseFactory(audience=LEADS)
    for_everyone = ExerciseFactory()

    assert picks(client_for, member) == {for_everyone.slug}


def test_an_exercise_for_leads_is_picked_for_a_lead(client_for, lead):
    for_leads = ExerciseFactory(audience=LEADS)

    assert picks(client_for, lead, days=1) == {for_leads.slug}


def test_with_only_exercises_for_leads_someone_who_leads_no_team_has_no_pick(client_for, member):
    ExerciseFactory(audience=LEADS)

    assert picks(client_for, member, days=1) == {None}


@pytest.mark.parametrize("mode", [Exercise.Mode.SOLO, Exercise.Mode.PAIR])
def test_an_exercise_that_needs_a_meeting_is_never_the_daily_pick(client_for, member, mode):
    for _ in range(3):
        ExerciseFactory(mode=mode, needs=[MEETING])
    any_day = ExerciseFactory(mode=mode)

    assert picks(client_for, member) == {any_day.slug}


def test_an_exercise_that_needs_a_meeting_is_still_in_the_catalogue(client_for, member):
    exercise = ExerciseFactory(needs=[MEETING], audience=LEADS)
    slugs = [found["slug"] for found in client_for(member).get("/api/v1/exercises").json()["results"]]
    assert slugs == [exercise.slug]


def test_a_pair_exercise_still_comes_with_a_partner_to_invite(client_for, member, teammate):
    ExerciseFactory(mode=Exercise.Mode.PAIR)
    with time_machine.travel(TUESDAY_NOON, tick=False):
        body = client_for(member).get(TODAY).json()
    assert body["partner"]["id"] == teammate.pk


# The follow-up


def completed_at(user, exercise, when: datetime) -> datetime:
    with time_machine.travel(when, tick=False):
        run, _ = run_start(user=user, exercise_slug=exercise.slug, client_id=uuid.uuid4())
        return run_complete(user=user, run_id=run.pk).completed_at


def test_an_exercise_with_a_follow_up_asks_for_the_reflection_that_long_after(member):
    exercise = ExerciseFactory(needs=[MEETING], follow_up_minutes=6 * 60)
    done = completed_at(member, exercise, TUESDAY_NOON)
    nudge = Nudge.objects.get(user=member, kind=Kind.REFLECT_AFTER)
    assert nudge.due_at == done + timedelta(hours=6)


def test_an_exercise_without_a_follow_up_asks_for_the_reflection_soon_after(member):
    done = completed_at(member, ExerciseFactory(), TUESDAY_NOON)
    assert Nudge.objects.get(user=member, kind=Kind.REFLECT_AFTER).due_at == done + timedelta(minutes=30)

"""Today's screen reads the person's kept practice (exercises.practice) instead of their whole
history: kept up to date as runs complete, and counted afresh whenever what it depends on changes
another way (their time zone, an exercise moved to another theme). Whatever the history, the
screen it gives is the one counted afresh from the runs."""

import importlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from accounts.factories import UserFactory
from accounts.selectors import local_day_start
from accounts.services import profile_update
from exercises.factories import ExerciseFactory, RunFactory, ThemeFactory
from exercises.models import Exercise, Practice, Run
from exercises.selectors import (
    DayOfPractice,
    days_of_practice,
    kept_catalogue,
    recommendation_for,
    runs_completed_since,
    today_for_user,
)
from exercises.services import (
    catalogue_changed,
    content_pack_load,
    practice_rebuild,
    practices_rebuild,
    run_complete,
    run_start,
)
from privacy.services import account_erase
from teams.factories import MembershipFactory
from teams.models import Membership
from tests.test_properties import checked, rolled_back, zone_names

pytestmark = pytest.mark.django_db

TODAY = "/api/v1/today"
# A Tuesday; its week began on Monday 2026-03-09.
TUESDAY_NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def completed(user, exercise, when: datetime) -> Run:
    """A run started and completed through the services, at that instant."""
    with time_machine.travel(when, tick=False):
        run, _ = run_start(user=user, exercise_slug=exercise.slug, client_id=uuid.uuid4())
        return run_complete(user=user, run_id=run.pk)


def kept(user, now: datetime):
    """Today's screen, and the kept practice it was read from."""
    return today_for_user(user=user, now=now), Practice.objects.filter(user=user).values().first()


def counted_afresh(user, now: datetime):
    """The same, with the practice counted afresh from the runs (then put back as it was)."""
    with rolled_back():
        practice_rebuild(user=user)
        return kept(user, now)


# What the person does between two looks at today's screen
NOTHING, NEW_ZONE, ZONE_BEHIND_ITS_BACK, RETIRED, BACK, MOVED = range(6)
steps = st.lists(
    st.tuples(
        st.one_of(  # minutes since the last completion: the same day, days, weeks; a clock gone back
            st.integers(1, 600),
            st.integers(1, 180),
            st.integers(600, 4 * 24 * 60),
            st.integers(4 * 24 * 60, 40 * 24 * 60),
            st.integers(-90, -1),
        ),
        st.integers(0, 13),  # which exercise
        st.sampled_from([NOTHING] * 6 + [NEW_ZONE, ZONE_BEHIND_ITS_BACK, RETIRED, BACK, MOVED]),
        st.integers(0, 10 * 24 * 60),  # minutes until the next look
    ),
    min_size=12,
    max_size=30,
)
# Besides two solo exercises in each of four themes, anything: pair, group, for leads, needing a meeting.
extras = st.lists(
    st.tuples(
        st.integers(0, 3),  # theme
        st.sampled_from([Exercise.Mode.SOLO, Exercise.Mode.PAIR, Exercise.Mode.GROUP]),
        st.sampled_from([Exercise.Audience.EVERYONE, Exercise.Audience.LEADS]),
        st.sampled_from([[], [Exercise.Need.MEETING]]),
    ),
    max_size=6,
)


@checked(25)
@given(
    catalogue=extras,
    zones=st.tuples(zone_names, zone_names),
    leads=st.booleans(),
    first=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2036, 1, 1), timezones=st.just(UTC)),
    history=steps,
)
def test_todays_screen_from_the_kept_practice_is_the_one_counted_afresh(catalogue, zones, leads, first, history):
    with rolled_back():
        kept_catalogue.forget()  # each example rolls back, and its revision ids come again
        themes = [ThemeFactory() for _ in range(4)]
        exercises = [ExerciseFactory(theme=theme) for theme in themes for _ in range(2)] + [
            ExerciseFactory(theme=themes[theme], mode=mode, audience=audience, needs=needs)
            for theme, mode, audience, needs in catalogue
        ]
        person = UserFactory(time_zone=zones[0])
        if leads:
            MembershipFactory(user=person, role=Membership.Role.LEAD)
        when = first
        for minutes, which, change, look_after in history:
            when += timedelta(minutes=minutes)
            exercise = exercises[which % len(exercises)]
            if change == NEW_ZONE:
                profile_update(user=person, time_zone=zones[1] if person.time_zone == zones[0] else zones[0])
            elif change == ZONE_BEHIND_ITS_BACK:
                person.time_zone = zones[1] if person.time_zone == zones[0] else zones[0]
                person.save(update_fields=["time_zone"])
            elif change in (RETIRED, BACK):
                Exercise.objects.filter(pk=exercise.pk).update(is_active=change == BACK)
                catalogue_changed(cause="as the admin records it")
            elif change == MOVED:
                Exercise.objects.filter(pk=exercise.pk).update(theme=themes[(which + 1) % len(themes)])
                practices_rebuild(exercise_ids=[exercise.pk])
                catalogue_changed(cause="as the admin records it")
            if Exercise.objects.filter(pk=exercise.pk, is_active=True).exists():
                completed(person, exercise, when)
            for now in (when, when + timedelta(minutes=look_after)):
                (today, practice), (today_afresh, practice_afresh) = kept(person, now), counted_afresh(person, now)
                assert today == today_afresh
                assert today.exercise == recommendation_for(user=person, day=today.date)
                # A daily nudge reads the same day, for a batch of people at once.
                since = local_day_start(user=person, day=today.date)
                done = runs_completed_since(user=person, since=since).filter(completed_at__lte=now).exists()
                assert days_of_practice(users=[person], now=now)[person.pk] == DayOfPractice(done, today.exercise)
                # The row itself, but after a zone changed behind its back: that one is counted
                # afresh on reading until the next completion.
                if practice and practice["time_zone"] == person.time_zone:
                    assert practice == practice_afresh


def test_a_run_completed_at_the_stroke_of_local_midnight_belongs_to_the_new_day(member):
    member.time_zone = "Asia/Kolkata"
    member.save(update_fields=["time_zone"])
    for theme in (ThemeFactory(), ThemeFactory()):
        ExerciseFactory.create_batch(2, theme=theme)
    midnight = datetime(2026, 3, 9, 18, 30, tzinfo=UTC)  # 00:00 on Tuesday 10 March there
    pick = today_for_user(user=member, now=midnight).exercise

    completed(member, pick, midnight)

    assert today_for_user(user=member, now=midnight + timedelta(hours=12)).exercise == pick


def test_a_new_time_zone_counts_the_streak_in_local_weeks_at_once(client_for, member):
    # Sunday 8 March 11:00 UTC: last week in UTC, already Monday 9 March 01:00 in Kiritimati (UTC+14).
    completed(member, ExerciseFactory(), datetime(2026, 3, 8, 11, 0, tzinfo=UTC))
    with time_machine.travel(TUESDAY_NOON, tick=False):
        client = client_for(member)
        before = client.get(TODAY).json()["streak"]
        client.patch("/api/v1/me", {"time_zone": "Pacific/Kiritimati"}, format="json")
        with CaptureQueriesContext(connection) as captured:
            after = client.get(TODAY).json()["streak"]

    assert before == {"weeks": 1, "this_week_done": False}
    assert after == {"weeks": 1, "this_week_done": True}
    assert len(captured) == 2  # signing in, then the person with their practice: the catalogue is kept


def test_a_zone_changed_behind_the_practices_back_still_counts_local_weeks(client_for, member):
    completed(member, ExerciseFactory(), datetime(2026, 3, 8, 11, 0, tzinfo=UTC))
    member.time_zone = "Pacific/Kiritimati"  # as the admin would, past profile_update
    member.save(update_fields=["time_zone"])

    with time_machine.travel(TUESDAY_NOON, tick=False):
        streak = client_for(member).get(TODAY).json()["streak"]

    assert streak == {"weeks": 1, "this_week_done": True}


PACK = """version = 1
[[theme]]
slug = "a"
name = "A"
summary = "Theme A."
position = 1
[[theme]]
slug = "b"
name = "B"
summary = "Theme B."
position = 2
"""
EXERCISE = """[[exercise]]
slug = "{slug}"
theme = "{theme}"
title = "Exercise {slug}"
mode = "solo"
duration_minutes = 5
summary = "An exercise."
reflection_prompts = ["What did you notice?"]
[[exercise.steps]]
kind = "reflect"
text = "Note what you noticed."
"""


def write_pack(directory, themes: dict[str, str]) -> None:
    (directory / "exercises").mkdir(parents=True, exist_ok=True)
    (directory / "pack.toml").write_text(PACK)
    text = "\n".join(EXERCISE.format(slug=slug, theme=theme) for slug, theme in themes.items())
    (directory / "exercises" / "all.toml").write_text(text)


def test_an_exercise_moved_to_another_theme_counts_for_its_new_theme(client_for, member, tmp_path):
    themes = {"x": "a", "w": "a", "s": "a", "v": "b", "u": "b"}
    write_pack(tmp_path, themes)
    content_pack_load(directory=tmp_path)
    for slug, days_ago in (("w", 5), ("v", 3), ("x", 1)):
        completed(member, Exercise.objects.get(slug=slug), TUESDAY_NOON - timedelta(days=days_ago))
    with time_machine.travel(TUESDAY_NOON, tick=False):
        client = client_for(member)
        # Theme B was done longest ago (3 days), and u is its one exercise not done lately.
        before = client.get(TODAY).json()["exercise"]["slug"]
        write_pack(tmp_path, {**themes, "x": "b"})
        content_pack_load(directory=tmp_path)
        # Yesterday's x now counts for B, so A (5 days) comes first, with s.
        after = client.get(TODAY).json()["exercise"]["slug"]

    assert (before, after) == ("u", "s")


def test_an_exercise_moved_in_the_admin_counts_for_its_new_theme(client, client_for, staff_admin, member):
    a, b = ThemeFactory(), ThemeFactory()
    moved, s, w = (ExerciseFactory(theme=a) for _ in range(3))
    v, u = (ExerciseFactory(theme=b) for _ in range(2))
    for exercise, days_ago in ((w, 5), (v, 3), (moved, 1)):
        completed(member, exercise, TUESDAY_NOON - timedelta(days=days_ago))
    before = today_for_user(user=member, now=TUESDAY_NOON).exercise
    client.force_login(staff_admin)
    url = f"/admin/exercises/exercise/{moved.pk}/change/"

    response = client.post(url, {**unchanged_form(client, url), "theme": b.pk})

    assert response.status_code == 302
    assert (before, today_for_user(user=member, now=TUESDAY_NOON).exercise) == (u, s)


def unchanged_form(client, url: str) -> dict:
    """What the admin's change page would post back unchanged: its form and inline forms."""
    page = client.get(url)
    forms = [page.context["adminform"].form]
    for inline in page.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for field in form:
            value = field.value()
            if value is not None and value is not False:
                data[field.html_name] = "on" if value is True else value
    return data


def test_erasure_takes_the_kept_practice_with_it(member):
    completed(member, ExerciseFactory(), TUESDAY_NOON)

    account_erase(user=member)

    assert not Practice.objects.exists()


def test_the_migration_counts_the_practice_of_everyone_who_completed_runs_before_it(member, teammate):
    exercise = ExerciseFactory()
    Run.objects.bulk_create(
        RunFactory.build(user=person, exercise=exercise, completed_at=TUESDAY_NOON - timedelta(days=days))
        for person in (member, teammate)
        for days in range(1, 30, 3)
    )
    RunFactory(user=UserFactory())  # started, never completed
    migration = importlib.import_module("exercises.migrations.0004_practice")

    migration.count_everyones_practice(apps, None)

    assert set(Practice.objects.values_list("user", flat=True)) == {member.pk, teammate.pk}
    for person in (member, teammate):
        assert kept(person, TUESDAY_NOON) == counted_afresh(person, TUESDAY_NOON)

"""A journal worth keeping: what invited an entry, entries written offline keeping their time,
filters over what is in the clear, one's own trends, and "on this day"."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from exercises.factories import ExerciseFactory, RunFactory, StepFactory, ThemeFactory
from nudges.clock import nudges_plan
from nudges.delivery import nudges_deliver
from nudges.models import Kind, Nudge
from reflections.factories import ReflectionFactory
from reflections.selectors import on_this_day, on_this_day_counts
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

URL = "/api/v1/reflections"
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)  # a Wednesday


@pytest.fixture(autouse=True)
def _pinned_clock():
    with time_machine.travel(NOW, tick=False):
        yield


def write(client, **fields):
    return client.post(URL, {"body": "Words", "client_id": str(uuid.uuid4()), **fields}, format="json")


def ids(response) -> list[int]:
    return [entry["id"] for entry in response.json()["results"]]


# What invited it


def test_an_entry_records_the_exercise_step_it_answers(client_for, member):
    step = StepFactory()
    created = write(client_for(member), prompt_step=step.pk)
    assert (created.status_code, created.json()["prompt_step"]) == (201, step.pk)


def test_an_entry_records_the_nudge_that_invited_it(client_for, member):
    nudge = Nudge.objects.create(
        user=member, kind=Kind.REFLECT_AFTER, dedupe_key="x", due_at=NOW, status=Nudge.Status.SENT, sent_at=NOW
    )
    created = write(client_for(member), prompt_nudge=nudge.pk)
    assert (created.status_code, created.json()["prompt_nudge"]) == (201, nudge.pk)


def test_someone_elses_nudge_cannot_have_invited_my_entry(client_for, member, teammate):
    nudge = Nudge.objects.create(
        user=teammate, kind=Kind.REFLECT_AFTER, dedupe_key="x", due_at=NOW, status=Nudge.Status.SENT, sent_at=NOW
    )
    refused = write(client_for(member), prompt_nudge=nudge.pk)
    assert (refused.status_code, error_codes(refused)) == (400, [("prompt_nudge", "does_not_exist")])


def test_an_unknown_step_is_refused(client_for, member):
    refused = write(client_for(member), prompt_step=999999)
    assert (refused.status_code, error_codes(refused)) == (400, [("prompt_step", "does_not_exist")])


# Written offline


def test_an_entry_written_offline_keeps_the_time_it_was_written(client_for, member):
    yesterday = NOW - timedelta(days=1)
    created = write(client_for(member), occurred_at=yesterday.isoformat())
    assert datetime.fromisoformat(created.json()["occurred_at"]) == yesterday


def test_the_journal_lists_entries_in_the_order_they_were_written(client_for, member):
    client = client_for(member)
    today = write(client).json()["id"]
    written_offline_yesterday = write(client, occurred_at=(NOW - timedelta(days=1)).isoformat()).json()["id"]
    assert ids(client.get(URL)) == [today, written_offline_yesterday]


@pytest.mark.parametrize(
    ("when", "code"),
    [(NOW + timedelta(hours=1), "occurred_in_future"), (NOW - timedelta(days=15), "occurred_too_long_ago")],
)
def test_an_entry_dated_beyond_the_bounds_is_refused(client_for, member, when, code):
    refused = write(client_for(member), occurred_at=when.isoformat())
    assert (refused.status_code, error_codes(refused)) == (400, [("occurred_at", code)])


def test_how_far_back_an_offline_entry_may_go_is_configured(client_for, member, settings):
    settings.OFFLINE_DAYS_MAX = 30
    assert write(client_for(member), occurred_at=(NOW - timedelta(days=20)).isoformat()).status_code == 201


# Filters


@pytest.fixture
def journal(member):
    calm, worried = ThemeFactory(slug="calm"), ThemeFactory(slug="worry")
    run = RunFactory(user=member)
    entries = {
        "calm": ReflectionFactory(author=member, mood=4, themes=[calm], occurred_at=NOW - timedelta(days=1)),
        "worried": ReflectionFactory(author=member, mood=2, themes=[worried], occurred_at=NOW - timedelta(days=3)),
        "on_the_run": ReflectionFactory(author=member, mood=3, run=run, occurred_at=NOW - timedelta(days=5)),
    }
    return entries, run


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("theme=calm", ["calm"]),
        ("mood=2", ["worried"]),
        ("since=2026-06-06T00:00:00Z", ["calm", "worried"]),
        ("until=2026-06-08T00:00:00Z", ["worried", "on_the_run"]),
        ("since=2026-06-06T00:00:00Z&until=2026-06-08T00:00:00Z", ["worried"]),
    ],
)
def test_the_journal_filters_by_what_is_in_the_clear(client_for, member, journal, query, expected):
    entries, _ = journal
    assert ids(client_for(member).get(f"{URL}?{query}")) == [entries[name].pk for name in expected]


def test_the_journal_filters_by_run(client_for, member, journal):
    entries, run = journal
    assert ids(client_for(member).get(f"{URL}?run={run.pk}")) == [entries["on_the_run"].pk]


@pytest.mark.parametrize("query", ["mood=9", "mood=٣", "since=yesterday", "run=-1", "theme=not a slug"])
def test_a_nonsense_filter_is_refused(client_for, member, query):
    assert client_for(member).get(f"{URL}?{query}").status_code == 400


def test_another_persons_entries_never_match_my_filters(client_for, member, teammate, journal):
    ReflectionFactory(author=teammate, mood=2)
    assert len(ids(client_for(member).get(f"{URL}?mood=2"))) == 1


def test_a_filtered_page_costs_the_same_queries_however_long_the_journal(client_for, member):
    client, calm = client_for(member), ThemeFactory(slug="calm")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(f"{URL}?theme=calm&mood=3&limit=20").status_code == 200
        return len(captured)

    ReflectionFactory(author=member, mood=3, themes=[calm])
    few = queries()
    for _ in range(60):
        ReflectionFactory(author=member, mood=3, themes=[calm])
    assert queries() == few <= 3


# Trends


def test_my_trends_show_my_mood_and_energy_by_week(client_for, member, teammate):
    ReflectionFactory(author=member, mood=2, energy=3, occurred_at=NOW - timedelta(days=7))
    ReflectionFactory(author=member, mood=4, energy=5, occurred_at=NOW - timedelta(days=8))
    ReflectionFactory(author=member, mood=5, energy=5, occurred_at=NOW)
    ReflectionFactory(author=teammate, mood=1, energy=1, occurred_at=NOW)
    weeks = client_for(member).get("/api/v1/me/trends").json()["weeks"]
    assert len(weeks) == 12
    assert weeks[-2:] == [
        {"week": "2026-W23", "mood": 3.0, "energy": 4.0, "entries": 2, "practised": {}},
        {"week": "2026-W24", "mood": 5.0, "energy": 5.0, "entries": 1, "practised": {}},
    ]


def test_my_trends_show_how_my_mood_moved_with_the_themes_i_practised(client_for, member):
    theme = ThemeFactory(slug="humble-inquiry")
    exercise = ExerciseFactory(theme=theme)
    RunFactory(user=member, exercise=exercise, completed_at=NOW - timedelta(days=1))
    ReflectionFactory(author=member, mood=4, occurred_at=NOW - timedelta(days=1))
    ReflectionFactory(author=member, mood=2, occurred_at=NOW - timedelta(days=14))
    trends = client_for(member).get("/api/v1/me/trends").json()
    assert trends["weeks"][-1]["practised"] == {"humble-inquiry": 1}
    (inquiry,) = trends["themes"]
    assert (inquiry["theme"], inquiry["weeks_practised"]) == ("humble-inquiry", 1)
    assert (inquiry["mood_when_practised"], inquiry["mood_otherwise"]) == (4.0, 2.0)


def test_my_trends_are_weeks_of_my_own_time_zone(client_for, member):
    member.time_zone = "Pacific/Auckland"
    member.save(update_fields=["time_zone"])
    # Sunday 20:00 UTC is already Monday 08:00 in Auckland: this week there, last week in UTC.
    ReflectionFactory(author=member, mood=5, occurred_at=datetime(2026, 6, 7, 20, 0, tzinfo=UTC))
    weeks = client_for(member).get("/api/v1/me/trends").json()["weeks"]
    assert (weeks[-1]["week"], weeks[-1]["mood"], weeks[-2]["mood"]) == ("2026-W24", 5.0, None)


# On this day


def deliver_the_weekly_look_back() -> None:
    friday_noon, friday_afternoon = datetime(2026, 6, 12, 12, 0, tzinfo=UTC), datetime(2026, 6, 12, 16, 0, tzinfo=UTC)
    with time_machine.travel(friday_noon, tick=False):
        nudges_plan(now=friday_noon)
    with time_machine.travel(friday_afternoon, tick=False):
        nudges_deliver(now=friday_afternoon)


def test_on_this_day_offers_entries_from_about_a_month_a_quarter_and_a_year_ago(client_for, member):
    month = ReflectionFactory(author=member, occurred_at=datetime(2026, 5, 11, 9, 0, tzinfo=UTC))
    quarter = ReflectionFactory(author=member, occurred_at=datetime(2026, 3, 10, 9, 0, tzinfo=UTC))
    year = ReflectionFactory(author=member, occurred_at=datetime(2025, 6, 8, 9, 0, tzinfo=UTC))
    ReflectionFactory(author=member, occurred_at=datetime(2026, 4, 20, 9, 0, tzinfo=UTC))
    found = client_for(member).get(f"{URL}/on-this-day").json()
    assert {name: [entry["id"] for entry in entries] for name, entries in found.items()} == {
        "month": [month.pk],
        "quarter": [quarter.pk],
        "year": [year.pk],
    }
    assert set(found["month"][0]) == {"id", "occurred_at"}


def test_the_weekly_look_back_mentions_entries_from_around_this_time(member):
    ReflectionFactory(author=member, occurred_at=datetime(2025, 6, 12, 9, 0, tzinfo=UTC))
    deliver_the_weekly_look_back()
    look_back = Nudge.objects.get(user=member, kind=Kind.WEEKLY_LOOKBACK)
    assert "You wrote an entry around this time" in look_back.body


def test_the_weekly_look_back_says_nothing_of_the_past_when_there_is_none(member):
    deliver_the_weekly_look_back()
    assert "around this time" not in Nudge.objects.get(user=member, kind=Kind.WEEKLY_LOOKBACK).body


@pytest.mark.parametrize("zones", [("UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"), ("Europe/London",) * 3])
def test_counting_a_batch_of_people_on_this_day_agrees_with_asking_each(zones):
    """Each person's windows are their own local days, even when the people counted together
    live a calendar day apart (UTC+14 and UTC-11): an entry a day either side of a window's edge
    counts for exactly the people whose window it falls in."""
    people = [UserFactory(time_zone=zone) for zone in zones]
    around_the_windows = [*range(25, 37), *range(85, 99), *range(358, 373)]  # days ago
    for someone in people:
        for days_ago in around_the_windows:
            for hours in (0, 12):
                ReflectionFactory(author=someone, occurred_at=NOW - timedelta(days=days_ago, hours=hours))
    counts = on_this_day_counts(authors=people, now=NOW)
    assert counts == {
        someone.pk: sum(len(entries) for entries in on_this_day(author=someone, now=NOW).values()) for someone in people
    }
    assert all(counts.values())


def test_counting_nobody_on_this_day_counts_nothing():
    assert on_this_day_counts(authors=[], now=NOW) == {}

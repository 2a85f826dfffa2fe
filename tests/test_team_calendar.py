"""The team calendar: a person's scheduled sessions as an iCalendar feed at a secret address,
which calendar apps fetch with nothing else, and which its owner can reset."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from exercises.factories import ExerciseFactory
from exercises.models import Exercise
from group_sessions.calendar import calendar_secret_reset
from group_sessions.models import CalendarFeed, GroupSession
from group_sessions.services import scheduled_sessions_open, session_cancel, session_start
from teams.factories import MembershipFactory
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
TUESDAY_TEN = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def parsed(text: str) -> list[dict]:
    """The VEVENTs of an iCalendar text, read back as RFC 5545 says: lines end with CRLF, a line
    starting with a space continues the one before, TEXT values are escaped. Each event is a
    dict of property name to its list of values."""
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    physical = text.split("\r\n")[:-1]
    assert all(len(line.encode()) <= 75 for line in physical)
    lines = []
    for line in physical:
        if line.startswith(" "):
            lines[-1] += line[1:]
        else:
            lines.append(line)
    assert (lines[0], lines[1], lines[-1]) == ("BEGIN:VCALENDAR", "VERSION:2.0", "END:VCALENDAR")
    events, event = [], None
    for line in lines:
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            event = {}
        elif line == "END:VEVENT":
            events.append(event)
            event = None
        elif event is not None:
            event.setdefault(name, []).append(value)
    return events


def unescaped(value: str) -> str:
    out, chars = "", iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out += "\n" if following in "nN" else following
        else:
            out += char
    return out


def feed(client, secret: str):
    return client.get(f"/calendar/{secret}.ics")


def schedule(lead, team, *, repeat="weekly", starts_at=TUESDAY_TEN, title="Who would notice?") -> GroupSession:
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, title=title, duration_minutes=10)
    session, _ = session_start(
        lead=lead,
        team_id=team.pk,
        exercise_slug=exercise.slug,
        client_id=uuid.uuid4(),
        starts_at=starts_at,
        repeat=repeat,
    )
    return session


def test_a_person_gets_a_secret_address_and_only_its_hash_is_kept(client_for, member):
    response = client_for(member).post("/api/v1/me/calendar")

    assert response.status_code == 200
    url = response.json()["url"]
    secret = url.rpartition("/calendar/")[2].removesuffix(".ics")
    assert len(secret) >= 43
    assert url.startswith("http://testserver/calendar/")
    stored = CalendarFeed.objects.get(user=member)
    assert secret not in stored.secret_hash


def test_the_feed_holds_a_weekly_series_of_my_team_with_a_stable_uid(anonymous, lead, member, team):
    session = schedule(lead, team)
    secret = calendar_secret_reset(user=member)

    response = feed(anonymous, secret)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    [event] = parsed(response.content.decode())
    assert event["UID"] == [f"{session.series.uid}@humble"]
    assert event["DTSTART"] == ["20261208T100000Z"]
    assert event["DURATION"] == ["PT10M"]
    assert event["RRULE"] == ["FREQ=WEEKLY;INTERVAL=1"]
    assert unescaped(event["SUMMARY"][0]) == f"Who would notice? · {team.name}"
    assert parsed(feed(anonymous, secret).content.decode())[0]["UID"] == event["UID"]


def test_a_fortnightly_series_repeats_every_two_weeks(anonymous, lead, member, team):
    schedule(lead, team, repeat="fortnightly")

    [event] = parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode())

    assert event["RRULE"] == ["FREQ=WEEKLY;INTERVAL=2"]


def test_a_one_off_session_has_no_rule(anonymous, lead, member, team):
    schedule(lead, team, repeat="never")

    [event] = parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode())

    assert "RRULE" not in event


def test_one_cancelled_occurrence_is_left_out_of_the_series(anonymous, lead, member, team, _frozen_clock):
    session = schedule(lead, team)
    _frozen_clock.move_to(TUESDAY_TEN)
    scheduled_sessions_open()
    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    session_cancel(user=lead, session_id=following.pk)

    [event] = parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode())

    assert event["EXDATE"] == ["20261215T100000Z"]
    assert event["RRULE"] == ["FREQ=WEEKLY;INTERVAL=1"]


def test_a_cancelled_series_ends_where_it_was_cancelled(anonymous, lead, member, team, _frozen_clock):
    session = schedule(lead, team)
    _frozen_clock.move_to(TUESDAY_TEN)
    scheduled_sessions_open()
    _frozen_clock.move_to(TUESDAY_TEN + timedelta(days=2))
    following = GroupSession.objects.get(series=session.series, phase=GroupSession.Phase.SCHEDULED)
    session_cancel(user=lead, session_id=following.pk, whole_series=True)

    [event] = parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode())

    assert event["RRULE"] == ["FREQ=WEEKLY;INTERVAL=1;UNTIL=20261210T100000Z"]


def test_a_session_cancelled_before_it_happened_is_gone(anonymous, lead, member, team):
    session = schedule(lead, team, repeat="never")
    session_cancel(user=lead, session_id=session.pk)

    assert parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode()) == []


def test_only_my_teams_sessions_are_in_my_feed(anonymous, lead, member, organisation):
    other = MembershipFactory(team__organisation=organisation, role="lead")
    schedule(other.user, other.team)

    assert parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode()) == []


def test_text_is_escaped_and_long_lines_folded_without_splitting_a_character(anonymous, lead, member, team):
    title = "Ça, c'est; notre \\ contribution — " + "é" * 40
    schedule(lead, team, title=title)

    [event] = parsed(feed(anonymous, calendar_secret_reset(user=member)).content.decode())

    assert unescaped(event["SUMMARY"][0]) == f"{title} · {team.name}"


def test_resetting_the_address_makes_the_old_one_stop_working(client_for, anonymous, member):
    old = calendar_secret_reset(user=member)

    new_url = client_for(member).post("/api/v1/me/calendar").json()["url"]

    assert feed(anonymous, old).status_code == 404
    assert anonymous.get(new_url).status_code == 200


def test_a_wrong_address_is_not_found_in_the_error_shape(anonymous):
    response = feed(anonymous, "not-a-secret")

    assert response.status_code == 404
    assert error_codes(response) == [(None, "not_found")]


def test_guessing_addresses_is_throttled_like_signing_in(anonymous, settings):
    settings.SIGN_IN_RATES = {**settings.SIGN_IN_RATES, "address": "3/min"}

    answers = [feed(anonymous, f"guess-{n}").status_code for n in range(4)]

    assert answers == [404, 404, 404, 429]


def test_a_calendar_app_asking_for_text_calendar_gets_it(client, member):
    secret = calendar_secret_reset(user=member)

    response = client.get(reverse("calendar-feed", kwargs={"secret": secret}), HTTP_ACCEPT="text/calendar")

    assert response.status_code == 200
    assert response.content.startswith(b"BEGIN:VCALENDAR\r\n")


def test_the_feed_costs_the_same_queries_however_many_series(anonymous, lead, member, team, django_assert_num_queries):
    secret = calendar_secret_reset(user=member)
    schedule(lead, team)
    with django_assert_num_queries(3):
        feed(anonymous, secret)
    for _ in range(5):
        schedule(lead, team)
    with django_assert_num_queries(3):
        feed(anonymous, secret)

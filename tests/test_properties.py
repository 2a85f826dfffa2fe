"""Property-based tests (hypothesis) for the parts with rules: time-zone and quiet-hour
arithmetic, the daily pick, pagination cursors and idempotent creation.

Each property states a rule and checks it against many generated cases, biased towards the
awkward ones (DST gaps and folds, zones that move by 30 minutes or 2 hours, whole days skipped,
many items sharing one timestamp). Examples are derandomised so a run is reproducible, and each
example that writes to the database does so inside a savepoint it rolls back, so examples never
see each other's rows.
"""

import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import pytest
from django.db import transaction
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.factories import OrganisationFactory, UserFactory
from accounts.models import User
from accounts.selectors import local_day_start, local_today, seconds_until_local_midnight
from acknowledgements.models import Acknowledgement
from exercises.factories import ExerciseFactory, ThemeFactory
from exercises.models import Exercise, Run
from exercises.selectors import RECENT_RUNS_AVOIDED, recommendation_for
from exercises.services import run_start
from nudges.clock import nudges_plan
from nudges.models import Kind, Nudge, Preferences
from nudges.recheck import _in_quiet_hours, _quiet_hours_end
from orphans.factories import OrphanFactory
from orphans.models import Activity, Orphan
from orphans.services import orphan_post
from reflections import crypto
from reflections.models import Reflection
from reflections.selectors import reflection_body
from reflections.services import reflection_create
from teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
TICK = timedelta(microseconds=1)


def checked(max_examples: int):
    """Hypothesis settings for this file: reproducible, no time limit per example, no example
    database written into the working tree, and fixtures (the test's database) allowed."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@contextmanager
def rolled_back():
    """Everything written inside is undone afterwards: each example starts from the same database."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


# Time zones, and instants close to the moments their clocks change

ZONES = sorted(available_timezones())
# Zones with unusual rules: a 30-minute DST, a 2-hour DST, changes at midnight, a day skipped
# (Samoa, December 2011), negative DST, a permanent move by 2 hours (Chita, 2014).
AWKWARD_ZONES = [
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Santiago",
    "America/Havana",
    "Asia/Beirut",
    "Asia/Gaza",
    "Asia/Tehran",
    "Australia/Lord_Howe",
    "Antarctica/Troll",
    "Pacific/Apia",
    "Pacific/Chatham",
    "America/St_Johns",
    "Europe/Dublin",
    "Asia/Chita",
    "Europe/Moscow",
    "Africa/Casablanca",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
]
zone_names = st.one_of(st.sampled_from(AWKWARD_ZONES), st.sampled_from(ZONES))
years = st.integers(min_value=2000, max_value=2037)


def utc_offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    return instant.astimezone(zone).utcoffset()


@cache
def transitions(zone_name: str, year: int) -> tuple[datetime, ...]:
    """The instants (UTC, to the second) at which the zone's UTC offset changes during the year."""
    zone = ZoneInfo(zone_name)
    found = []
    step = 6 * 3600
    start = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    end = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())

    def offset(seconds: int) -> timedelta:
        return utc_offset(datetime.fromtimestamp(seconds, UTC), zone)

    before = offset(start)
    for low in range(start, end, step):
        high = low + step
        after = offset(high)
        if after != before:
            lo, hi = low, high  # offset(lo) == before != offset(hi)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if offset(mid) == before else (lo, mid)
            found.append(datetime.fromtimestamp(hi, UTC))
        before = after
    return tuple(found)


@st.composite
def zones_and_instants(draw):
    """A zone and a UTC instant in 2000-2037, often within hours of one of the zone's clock changes."""
    name = draw(zone_names)
    year = draw(years)
    changes = transitions(name, year)
    if changes and draw(st.booleans()):
        change = draw(st.sampled_from(changes))
        seconds = draw(st.one_of(st.integers(-3 * 3600, 3 * 3600), st.integers(-2 * 86400, 2 * 86400)))
        instant = change + timedelta(seconds=seconds, microseconds=draw(st.integers(0, 999_999)))
    else:
        naive = draw(st.datetimes(min_value=datetime(year, 1, 1), max_value=datetime(year, 12, 31, 23, 59, 59)))
        instant = naive.replace(tzinfo=UTC)
    return name, instant


def wall_times(*, near: list[time] = ()) -> st.SearchStrategy[time]:
    """Any minute of the day, or (more often than chance) one close to the given wall times."""
    any_minute = st.builds(time, st.integers(0, 23), st.integers(0, 59))
    if not near:
        return any_minute

    def shifted(base: time, minutes: int) -> time:
        moment = datetime.combine(date(2000, 1, 1), base) + timedelta(minutes=minutes)
        return moment.time().replace(second=0, microsecond=0)

    close = st.builds(shifted, st.sampled_from(near), st.integers(-90, 90))
    return st.one_of(any_minute, close)


# Quiet hours


def quiet_by_definition(moment: time, start: time, end: time) -> bool:
    """Quiet hours run from start (included) up to end (excluded), across midnight when start is
    after end; when start equals end there are none."""

    def since_midnight(t: time) -> timedelta:
        return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)

    span = (since_midnight(end) - since_midnight(start)) % DAY
    return (since_midnight(moment) - since_midnight(start)) % DAY < span


times_of_day = st.times()
quarter_hours = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@checked(400)
@given(
    moment=st.one_of(times_of_day, quarter_hours),
    start=st.one_of(times_of_day, quarter_hours),
    end=st.one_of(times_of_day, quarter_hours),
)
@example(moment=time(23, 0), start=time(22, 0), end=time(7, 0))
@example(moment=time(7, 0), start=time(22, 0), end=time(7, 0))
@example(moment=time(22, 0), start=time(22, 0), end=time(22, 0))
def test_in_quiet_hours_agrees_with_the_definition(moment, start, end):
    assert _in_quiet_hours(moment, start, end) == quiet_by_definition(moment, start, end)


@st.composite
def local_moments(draw):
    """A person's local time as the delivery worker computes it (now.astimezone(zone)), often
    near a clock change, so it may be the second pass through a repeated hour (fold=1)."""
    name, instant = draw(zones_and_instants())
    return instant.astimezone(ZoneInfo(name))


@checked(400)
@given(local=local_moments(), start=quarter_hours, end=st.one_of(quarter_hours, times_of_day))
def test_quiet_hours_end_is_the_next_end_by_the_wall_clock(local, start, end):
    """By the wall clock: the end is strictly later, at most a day later, lands on the end time,
    is itself not quiet, and when the moment is quiet it is the first end, not a later one."""
    deferred = _quiet_hours_end(local, end)
    wall_now, wall_then = local.replace(tzinfo=None, fold=0), deferred.replace(tzinfo=None, fold=0)
    assert deferred.tzinfo is local.tzinfo
    assert deferred.time() == end
    assert wall_now < wall_then <= wall_now + DAY
    if start != end:
        assert not _in_quiet_hours(deferred.time(), start, end)
    if _in_quiet_hours(local.time(), start, end):
        quiet_span = (datetime.combine(date.min, end) - datetime.combine(date.min, start)) % DAY
        assert wall_then - wall_now <= quiet_span


@checked(400)
@given(local=local_moments(), start=quarter_hours, end=st.one_of(quarter_hours, times_of_day))
@example(  # the second pass through 01:00-02:00 in London on 25 October 2026; quiet until 01:45
    local=datetime(2026, 10, 25, 1, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/London")),
    start=time(22, 0),
    end=time(1, 45),
)
def test_quiet_hours_end_is_a_later_instant_even_when_the_clocks_change(local, start, end):
    """What the delivery worker stores as the deferred due time is a real instant: it must be
    after now (a due time in the past is claimed again at once, deferred again, and so on until
    quiet hours are over), and no more than a day plus the clock change away."""
    deferred = _quiet_hours_end(local, end).astimezone(UTC)
    now = local.astimezone(UTC)
    assert now < deferred <= now + DAY + 3 * HOUR
    resolved = deferred.astimezone(local.tzinfo)
    if first_instant_with_wall_time(resolved.date(), end, local.tzinfo) is not None:
        assert resolved.time() == end  # the clocks show the end time that day: it lands on it


# Local days


@checked(400)
@given(zones_and_instants())
@example(("Pacific/Apia", datetime(2011, 12, 31, 9, 0, tzinfo=UTC)))  # the day after the skipped 30th
@example(("Pacific/Apia", datetime(2011, 12, 30, 9, 0, tzinfo=UTC)))  # 29 December, local
@example(("America/Santiago", datetime(2026, 4, 5, 3, 30, tzinfo=UTC)))  # midnight comes twice
@example(("America/Santiago", datetime(2026, 9, 6, 4, 30, tzinfo=UTC)))  # midnight never comes
@example(("Antarctica/Troll", datetime(2026, 3, 29, 12, 0, tzinfo=UTC)))  # a 22-hour day
@example(("Europe/London", datetime(2026, 3, 29, 0, 30, tzinfo=UTC)))  # a 23-hour day
@example(("Europe/London", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)))  # a 25-hour day
def test_a_local_day_is_exactly_the_instants_with_that_local_date(zone_and_instant):
    name, instant = zone_and_instant
    zone, person = ZoneInfo(name), User(time_zone=name)

    day = local_today(user=person, now=instant)
    start = local_day_start(user=person, day=day).astimezone(UTC)
    end = local_day_start(user=person, day=day + timedelta(days=1)).astimezone(UTC)

    assert day == instant.astimezone(zone).date()
    # Where the clocks once went back across midnight (St John's until 2011 changed at 00:01),
    # a date comes round twice and is not one interval; the day starts at its first midnight.
    assume(start <= instant < end)
    # The boundaries are where the local date changes, whatever the clocks do that day.
    assert (start - TICK).astimezone(zone).date() < day == start.astimezone(zone).date()
    assert (end - TICK).astimezone(zone).date() == day < end.astimezone(zone).date()
    # A day lasts 24 hours, give or take the clock change it contains: 23 to 25 hours for the
    # usual one-hour change (22 to 26 for Troll's two hours, 21 to 27 for Casey's three).
    offsets = [utc_offset(moment, zone) for moment in (start - TICK, start, end - TICK, end)]
    change = max(offsets) - min(offsets)
    length = end - start
    assert DAY - change <= length <= DAY + change
    if change <= HOUR:
        assert timedelta(hours=23) <= length <= timedelta(hours=25)

    seconds = seconds_until_local_midnight(user=person, now=instant)
    assert 1 <= seconds <= (length + HOUR).total_seconds()
    # "Retry after this many seconds" means: by then it is the next local day (by under a second).
    wait = instant + timedelta(seconds=seconds)
    assert end <= wait < end + timedelta(seconds=1)


# Planning the daily nudge across a clock change


@st.composite
def daily_plans(draw):
    """A zone, a 10-day window around one of its clock changes in 2001-2036 (or any 10 days if it
    has none that year), and one or two people's local times for the daily nudge: any minute,
    often one the change skips or repeats."""
    name = draw(zone_names)
    zone = ZoneInfo(name)
    year = draw(st.integers(2001, 2036))
    changes = transitions(name, year)
    if changes:
        change = draw(st.sampled_from(changes))
        near = [(change - TICK).astimezone(zone).time(), change.astimezone(zone).time()]
    else:
        change = draw(st.datetimes(min_value=datetime(year, 1, 10), max_value=datetime(year, 12, 20))).replace(
            tzinfo=UTC
        )
        near = []
    first_tick = change.replace(minute=0, second=0, microsecond=0) - timedelta(days=5, minutes=draw(st.integers(0, 59)))
    return name, first_tick, draw(st.lists(wall_times(near=near), min_size=1, max_size=2, unique=True))


def first_instant_with_wall_time(day: date, at: time, zone: ZoneInfo) -> datetime | None:
    """The earliest instant at which the zone's clocks show `at` on `day` (None if they skip it)."""
    shown = []
    for fold in (0, 1):
        instant = datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC)
        local = instant.astimezone(zone)
        if (local.date(), local.time()) == (day, at):
            shown.append(instant)
    return min(shown, default=None)


def occurs(day: date, zone: ZoneInfo) -> bool:
    """Whether the zone's clocks show this date at all (Samoa skipped 30 December 2011)."""
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    return any((start + n * HOUR).astimezone(zone).date() == day for n in range(-3, 4))


# Each example simulates 240 planner runs, so there are few of them; the explicit ones pin the
# classic cases: a time the spring change skips, one the autumn change repeats, midnight skipped.
@checked(3)
@given(daily_plans())
@example(("Europe/London", datetime(2026, 3, 24, 0, 17, tzinfo=UTC), [time(1, 30), time(2, 0)]))
@example(("Europe/London", datetime(2026, 10, 20, 0, 17, tzinfo=UTC), [time(1, 30), time(1, 0)]))
@example(("America/Santiago", datetime(2026, 9, 1, 0, 0, tzinfo=UTC), [time(0, 0), time(23, 59)]))
def test_the_planner_plans_one_daily_nudge_per_local_day_across_a_clock_change(plan):
    name, first_tick, times = plan
    zone = ZoneInfo(name)
    ticks = [first_tick + i * HOUR for i in range(240)]  # every hour for 10 days
    with rolled_back():
        people = {}
        for at in times:
            person = UserFactory(time_zone=name)
            Preferences.objects.create(user=person, daily_exercise_at=at)
            people[person.pk] = at
        for now in ticks:
            nudges_plan(now=now)
        planned = list(
            Nudge.objects.filter(user__in=people, kind=Kind.DAILY_EXERCISE).values_list(
                "user_id", "planned_for", "due_at"
            )
        )

    due_on: dict[tuple[int, date], list[tuple[date, datetime]]] = {}
    for user_id, planned_for, due_at in planned:
        at = people[user_id]
        # Each nudge goes out on the local day it was planned for, at the chosen time when the
        # clocks show it that day (the first time, if they show it twice), else just after the gap.
        local = due_at.astimezone(zone)
        assert local.date() == planned_for, (at, planned_for, local)
        first = first_instant_with_wall_time(planned_for, at, zone)
        if first is not None:
            assert due_at == first, (at, planned_for, local)
        else:
            assert local.time() > at, (at, planned_for, local)
        due_on.setdefault((user_id, local.date()), []).append((planned_for, due_at))
    # Every local day wholly inside the simulated stretch got exactly one, for each person.
    for user_id, at in people.items():
        day = (ticks[0] + 2 * HOUR).astimezone(zone).date() + timedelta(days=1)
        last_day = (ticks[-1] - 2 * HOUR).astimezone(zone).date() - timedelta(days=1)
        while day <= last_day:
            if occurs(day, zone):
                assert len(due_on.get((user_id, day), [])) == 1, (at, day, due_on.get((user_id, day)))
            day += timedelta(days=1)


# The daily pick

catalogues = st.lists(
    st.tuples(
        st.integers(0, 3),  # theme
        st.sampled_from([Exercise.Mode.SOLO, Exercise.Mode.PAIR, Exercise.Mode.GROUP]),
        st.sampled_from([True, True, True, False]),  # active
    ),
    min_size=0,
    max_size=9,
)


@checked(25)
@given(
    catalogue=catalogues,
    zone=st.sampled_from(AWKWARD_ZONES),
    first_day=st.dates(min_value=date(2001, 1, 1), max_value=date(2036, 12, 1)),
    days=st.integers(1, 14),
)
def test_the_daily_pick_rotates_themes_avoids_repeats_and_holds_all_day(catalogue, zone, first_day, days):
    with rolled_back():
        themes = [ThemeFactory() for _ in range(4)]
        exercises = [
            ExerciseFactory(theme=themes[theme], mode=mode, is_active=active) for theme, mode, active in catalogue
        ]
        eligible = {e.pk: e for e in exercises if e.is_active and e.mode != Exercise.Mode.GROUP}
        person, someone_else = UserFactory(time_zone=zone), UserFactory(time_zone=zone)
        done: list[int] = []  # the exercise done each day, in order
        theme_last_done: dict[int, int] = {}
        exercise_last_done: dict[int, int] = {}
        for n in range(days):
            day = first_day + timedelta(days=n)
            pick = recommendation_for(user=person, day=day)
            if not eligible:
                assert pick is None
                break
            # Deterministic, and never a group exercise or a retired one.
            assert recommendation_for(user=person, day=day) == pick
            assert pick.pk in eligible
            # Avoids the last exercises done while there is anything else.
            recent = set(done[-RECENT_RUNS_AVOIDED:])
            fresh = [e for e in eligible.values() if e.pk not in recent] or list(eligible.values())
            assert pick in fresh
            # The theme done longest ago (or never) first, and in it the exercise done longest ago.
            never = -1
            oldest_theme = min(theme_last_done.get(e.theme_id, never) for e in fresh)
            assert theme_last_done.get(pick.theme_id, never) == oldest_theme
            same_theme = [e for e in fresh if e.theme_id == pick.theme_id]
            assert exercise_last_done.get(pick.pk, never) == min(
                exercise_last_done.get(e.pk, never) for e in same_theme
            )
            # Doing it today (at any hour) does not change today's pick.
            completed = datetime.combine(day, time(23, 59), tzinfo=ZoneInfo(zone))
            Run.objects.create(user=person, exercise=pick, client_id=uuid.uuid4(), completed_at=completed)
            assert recommendation_for(user=person, day=day) == pick
            # Someone else's runs are not this person's history.
            Run.objects.create(user=someone_else, exercise=pick, client_id=uuid.uuid4(), completed_at=completed)
            done.append(pick.pk)
            theme_last_done[pick.theme_id] = exercise_last_done[pick.pk] = n
            # The next day's pick avoids it while other options exist.
            tomorrow = recommendation_for(user=person, day=day + timedelta(days=1))
            if len(eligible) > 1:
                assert tomorrow != pick
        # No exercise comes back before every other has had its turn.
        first_round = done[: len(eligible)]
        assert len(set(first_round)) == len(first_round)


# Pagination cursors


def follow(client: APIClient, url: str, *, limit: int) -> list[dict]:
    """Every item, page by page, following `next` links to the end."""
    items, pages = [], 0
    response = client.get(url, {"limit": limit})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= limit
        items.extend(body["results"])
        pages += 1
        assert pages <= 200, "the next links never end"
        if not body["next"]:
            return items
        assert len(body["results"]) == limit  # only the last page is short
        response = client.get(body["next"])


@checked(25)
@given(rows=st.integers(0, 60), others=st.integers(0, 5), limit=st.integers(1, 25))
@example(rows=0, others=0, limit=1)
@example(rows=20, others=1, limit=20)
@example(rows=21, others=0, limit=20)
def test_following_next_through_my_reflections_gives_each_once_newest_first(rows, others, limit):
    with rolled_back():
        author, stranger = UserFactory(), UserFactory()
        ciphertext = crypto.encrypt("A private note.")
        made = Reflection.objects.bulk_create(
            Reflection(author=author if i < rows else stranger, body_ciphertext=ciphertext, client_id=uuid.uuid4())
            for i in range(rows + others)
        )
        mine = sorted((r.pk for r in made if r.author_id == author.pk), reverse=True)
        assert len(mine) == rows

        items = follow(client_for(author), "/api/v1/reflections", limit=limit)

    assert [item["id"] for item in items] == mine


@checked(25)
@given(rows=st.integers(0, 60), limit=st.integers(1, 25), same_instant=st.booleans())
@example(rows=40, limit=7, same_instant=True)
def test_following_next_through_received_acknowledgements_gives_each_once_newest_first(rows, limit, same_instant):
    with rolled_back():
        organisation = OrganisationFactory()
        me, sender = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
        at = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
        made = Acknowledgement.objects.bulk_create(
            Acknowledgement(
                organisation=organisation,
                sender=sender if i % 3 else me,
                recipient=me if i % 3 else sender,
                message="Thank you",
                behaviour="helped",
                client_id=uuid.uuid4(),
                created_at=at if same_instant else at + timedelta(minutes=i),
            )
            for i in range(rows)
        )
        received = sorted((a.pk for a in made if a.recipient_id == me.pk), reverse=True)

        items = follow(client_for(me), "/api/v1/acknowledgements/received", limit=limit)

    assert [item["id"] for item in items] == received


ACKNOWLEDGEMENT, ORPHAN_MOMENT = 0, 1  # at one instant the feed shows orphan moments first

feed_items = st.lists(
    st.tuples(
        st.sampled_from(["acknowledgement", "posted", "claimed", "done", "released", "private", "hidden"]),
        st.integers(0, 3),  # which of the shared instants
    ),
    max_size=45,
)


@checked(25)
@given(
    items=feed_items,
    instants=st.lists(
        st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 1, 2)).map(
            lambda d: d.replace(tzinfo=UTC)
        ),
        min_size=1,
        max_size=4,
    ),
    limit=st.integers(1, 25),
)
@example(items=[("acknowledgement", 0), ("posted", 0)] * 15, instants=[datetime(2026, 1, 1, tzinfo=UTC)], limit=4)
def test_following_next_through_the_team_feed_gives_each_item_once_newest_first(items, instants, limit):
    with rolled_back():
        team = TeamFactory()
        member, teammate = MembershipFactory(team=team).user, MembershipFactory(team=team).user
        other_team = TeamFactory(organisation=team.organisation)
        outsider = MembershipFactory(team=other_team).user
        orphan = OrphanFactory(team=team, posted_by=member)
        elsewhere = OrphanFactory(team=other_team, posted_by=outsider)
        shown = []  # (at, source, id, type)
        for n, (kind, which) in enumerate(items):
            at = instants[which % len(instants)]
            if kind in ("acknowledgement", "private", "hidden"):
                sender, recipient = (member, teammate) if n % 2 else (teammate, outsider)
                acknowledgement = Acknowledgement.objects.create(
                    organisation=team.organisation,
                    sender=sender,
                    recipient=recipient,
                    message="Seen",
                    behaviour="helped",
                    visibility="private" if kind == "private" else "team",
                    hidden_by_recipient=kind == "hidden",
                    client_id=uuid.uuid4(),
                    created_at=at,
                )
                if kind == "acknowledgement":
                    shown.append((at, ACKNOWLEDGEMENT, acknowledgement.pk, "acknowledgement"))
            else:
                activity = Activity.objects.create(orphan=orphan, kind=kind, actor=member, created_at=at)
                Activity.objects.create(orphan=elsewhere, kind=kind, actor=outsider, created_at=at)
                if kind != "released":
                    shown.append((at, ORPHAN_MOMENT, activity.pk, f"orphan.{kind}"))
        shown.sort(reverse=True)

        pages = follow(client_for(member), f"/api/v1/teams/{team.pk}/feed", limit=limit)

    assert [(item["type"], item["id"]) for item in pages] == [(kind, pk) for _, _, pk, kind in shown]


# Idempotent creation: client_ids from a small pool, with repeats; a retry re-sends its first body
# (a different body under the same client_id is a conflict: tests/test_idempotency_conflicts.py)

client_id_pool = [uuid.UUID(int=n + 1) for n in range(4)]
creation_sequences = st.lists(st.integers(0, len(client_id_pool) - 1), min_size=1, max_size=12)


@checked(25)
@given(sequence=creation_sequences)
def test_reflections_with_repeated_client_ids_make_one_row_each(sequence):
    with rolled_back():
        author = UserFactory()
        first: dict[uuid.UUID, tuple[int, str]] = {}
        for index in sequence:
            client_id = client_id_pool[index]
            body = f"Attempt {index}"
            reflection, created = reflection_create(author=author, body=body, client_id=client_id, mood=index % 5 + 1)
            assert created == (client_id not in first)
            first.setdefault(client_id, (reflection.pk, body))
            # A repeat answers with the first row, as it was first written.
            assert (reflection.pk, reflection_body(reflection=reflection)) == first[client_id]
        assert Reflection.objects.filter(author=author).count() == len(set(sequence))


@checked(25)
@given(sequence=creation_sequences)
def test_acknowledgements_with_repeated_client_ids_make_one_row_each(sequence):
    with rolled_back():
        organisation = OrganisationFactory()
        sender, recipient = UserFactory(organisation=organisation), UserFactory(organisation=organisation)
        client = client_for(sender)
        first: dict[uuid.UUID, tuple[int, str]] = {}
        for index in sequence:
            client_id = client_id_pool[index]
            response = client.post(
                "/api/v1/acknowledgements",
                {
                    "recipient": recipient.pk,
                    "message": f"Thanks, take {index}",
                    "behaviour": "helped",
                    "client_id": str(client_id),
                },
                format="json",
            )
            assert response.status_code == (200 if client_id in first else 201), response.content
            body = response.json()
            first.setdefault(client_id, (body["id"], body["message"]))
            assert (body["id"], body["message"], body["client_id"]) == (*first[client_id], str(client_id))
        assert Acknowledgement.objects.filter(sender=sender).count() == len(set(sequence))


@checked(25)
@given(sequence=creation_sequences)
def test_runs_with_repeated_client_ids_make_one_row_each(sequence):
    with rolled_back():
        person = UserFactory()
        exercises = [ExerciseFactory(), ExerciseFactory()]
        first: dict[uuid.UUID, tuple[int, int]] = {}
        for index in sequence:
            client_id = client_id_pool[index]
            exercise = exercises[index % 2]
            run, created = run_start(user=person, exercise_slug=exercise.slug, client_id=client_id)
            assert created == (client_id not in first)
            first.setdefault(client_id, (run.pk, exercise.pk))
            assert (run.pk, run.exercise_id) == first[client_id]
        assert Run.objects.filter(user=person).count() == len(set(sequence))


@checked(25)
@given(sequence=creation_sequences)
def test_orphans_with_repeated_client_ids_make_one_row_each(sequence):
    with rolled_back():
        team = TeamFactory()
        poster = MembershipFactory(team=team).user
        client = client_for(poster)
        first: dict[uuid.UUID, int] = {}
        for n, index in enumerate(sequence):
            client_id = client_id_pool[index]
            if n % 2:
                response = client.post(
                    f"/api/v1/teams/{team.pk}/orphans",
                    {"title": f"Problem {index}", "client_id": str(client_id)},
                    format="json",
                )
                assert response.status_code == (200 if client_id in first else 201), response.content
                orphan_id = response.json()["id"]
            else:
                orphan, created = orphan_post(
                    user=poster, team_id=team.pk, title=f"Problem {index}", client_id=client_id
                )
                assert created == (client_id not in first)
                orphan_id = orphan.pk
            assert first.setdefault(client_id, orphan_id) == orphan_id
        assert Orphan.objects.filter(posted_by=poster).count() == len(set(sequence))
        assert Activity.objects.filter(orphan__posted_by=poster, kind="posted").count() == len(set(sequence))

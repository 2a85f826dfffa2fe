"""Nudges, planned and delivered at the service level with the clock under the test's control:
each person's own time zone and DST, quiet hours, the daily cap, snooze, opt-outs, whether a
nudge still makes sense when it is due, and what a sent nudge leaves behind."""

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from accounts.factories import UserFactory
from acknowledgements.factories import AcknowledgementFactory
from acknowledgements.services import acknowledgement_create
from events.models import Event
from exercises.factories import ExerciseFactory, RunFactory, group_exercise
from exercises.models import Exercise, Step
from exercises.services import run_complete, run_start
from group_sessions.services import session_connect, session_end, session_start
from nudges.clock import nudges_plan
from nudges.delivery import nudges_deliver
from nudges.kinds import render
from nudges.models import DeliveryAttempt, Device, Kind, Nudge, Preferences
from reflections.factories import ReflectionFactory
from teams.factories import MembershipFactory, TeamFactory
from teams.models import Membership

pytestmark = pytest.mark.django_db

PENDING, SENT, SKIPPED = Nudge.Status.PENDING, Nudge.Status.SENT, Nudge.Status.SKIPPED
LONDON = "Europe/London"
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


# Helpers


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def person(zone: str = "UTC", *, joined: datetime = LONG_AGO, locale: str = "en", **preferences):
    """Someone in an organisation, in the given time zone, with these nudge preferences."""
    user = UserFactory(time_zone=zone, locale=locale, date_joined=joined)
    if preferences:
        Preferences.objects.create(user=user, **preferences)
    return user


def plan(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return nudges_plan(now=now)


def deliver(now: datetime) -> int:
    with time_machine.travel(now, tick=False):
        return nudges_deliver(now=now)


def run_the_clock(start: datetime, end: datetime, *, step: timedelta = timedelta(minutes=30)) -> None:
    """The worker's clock: plan and deliver at every tick from start to end, inclusive."""
    moment = start
    with time_machine.travel(start, tick=False) as traveller:
        while moment <= end:
            traveller.move_to(moment)
            nudges_plan(now=moment)
            nudges_deliver(now=moment)
            moment += step


def daily_nudges(user):
    return Nudge.objects.filter(user=user, kind=Kind.DAILY_EXERCISE)


def sent_daily_per_local_day(user) -> dict[date, list[datetime]]:
    zone = ZoneInfo(user.time_zone)
    days: dict[date, list[datetime]] = {}
    for nudge in daily_nudges(user).filter(status=SENT).order_by("sent_at"):
        days.setdefault(nudge.sent_at.astimezone(zone).date(), []).append(nudge.sent_at.astimezone(zone))
    return days


def acknowledge(sender, recipient, at: datetime):
    with time_machine.travel(at, tick=False):
        acknowledgement, _ = acknowledgement_create(
            sender=sender,
            recipient_id=recipient.pk,
            message="You explained the incident so calmly.",
            behaviour="helped",
            visibility="private",
            client_id=uuid.uuid4(),
        )
    return acknowledgement


def share_exercise() -> Exercise:
    return group_exercise(Step.Kind.SHARE, Step.Kind.REFLECT)


@pytest.fixture(autouse=True)
def todays_exercise():
    """The daily nudge names the day's recommended exercise, so there must be one."""
    return ExerciseFactory(mode=Exercise.Mode.SOLO, title="Three good things", duration_minutes=5)


# Each person's own time zone

# 12:00 UTC on Wednesday 10 June 2026 is 02:00 in Honolulu and already 02:00 on Thursday in Kiritimati.
NOON_UTC = utc(2026, 6, 10, 12, 0)

NINE_LOCAL = [
    # zone, the local date whose 09:00 is next, and that 09:00 in UTC
    ("Pacific/Honolulu", date(2026, 6, 10), utc(2026, 6, 10, 19, 0)),  # UTC-10
    ("America/New_York", date(2026, 6, 10), utc(2026, 6, 10, 13, 0)),  # UTC-4 in summer
    ("UTC", date(2026, 6, 11), utc(2026, 6, 11, 9, 0)),  # today's 09:00 is three hours gone
    ("Asia/Kolkata", date(2026, 6, 11), utc(2026, 6, 11, 3, 30)),  # UTC+5:30
    ("Asia/Kathmandu", date(2026, 6, 11), utc(2026, 6, 11, 3, 15)),  # UTC+5:45
    ("Pacific/Kiritimati", date(2026, 6, 11), utc(2026, 6, 10, 19, 0)),  # UTC+14
]


@pytest.mark.parametrize(("zone", "local_date", "due_utc"), NINE_LOCAL)
def test_the_daily_exercise_nudge_is_due_at_the_persons_own_local_time(zone, local_date, due_utc):
    someone = person(zone)

    plan(NOON_UTC)

    nudge = daily_nudges(someone).get(planned_for=local_date)
    assert nudge.due_at == due_utc
    assert nudge.status == PENDING


def test_people_across_all_time_zones_are_each_planned_in_one_pass():
    people = {zone: person(zone) for zone, _, _ in NINE_LOCAL}

    plan(NOON_UTC)

    for zone, local_date, due_utc in NINE_LOCAL:
        assert daily_nudges(people[zone]).get(planned_for=local_date).due_at == due_utc, zone


def test_each_person_gets_their_own_chosen_daily_time():
    early = person("Pacific/Kiritimati", daily_exercise_at=time(7, 30))
    late = person("Pacific/Kiritimati", daily_exercise_at=time(18, 0))

    plan(NOON_UTC)  # 02:00 on 11 June in Kiritimati

    assert daily_nudges(early).get(planned_for=date(2026, 6, 11)).due_at == local(
        "Pacific/Kiritimati", 2026, 6, 11, 7, 30
    )
    assert daily_nudges(late).get(planned_for=date(2026, 6, 11)).due_at == local(
        "Pacific/Kiritimati", 2026, 6, 11, 18, 0
    )


def test_planning_again_never_makes_a_second_nudge_for_the_same_day():
    someone = person("Pacific/Honolulu")

    for now in (NOON_UTC, NOON_UTC, NOON_UTC + timedelta(hours=3), NOON_UTC + timedelta(hours=6, minutes=59)):
        plan(now)

    assert daily_nudges(someone).filter(planned_for=date(2026, 6, 10)).count() == 1
    assert daily_nudges(someone).filter(planned_for=date(2026, 6, 11)).count() == 1


def test_the_next_day_gets_its_own_daily_nudge():
    someone = person("Pacific/Honolulu")

    plan(NOON_UTC)
    plan(NOON_UTC + timedelta(days=1))

    rows = list(daily_nudges(someone).order_by("planned_for").values_list("planned_for", "due_at"))
    assert rows[:2] == [
        (date(2026, 6, 10), utc(2026, 6, 10, 19, 0)),
        (date(2026, 6, 11), utc(2026, 6, 11, 19, 0)),
    ]
    assert len({planned_for for planned_for, _ in rows}) == len(rows)


def test_the_daily_nudge_is_sent_at_the_local_time_it_was_planned_for():
    someone = person("Asia/Kolkata")

    run_the_clock(utc(2026, 6, 10, 12, 0), utc(2026, 6, 11, 12, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 11))
    assert nudge.status == SENT
    assert nudge.sent_at == local("Asia/Kolkata", 2026, 6, 11, 9, 0)


def test_people_who_are_inactive_or_without_an_organisation_are_not_planned_for():
    gone = UserFactory(is_active=False, date_joined=LONG_AGO)
    without_organisation = UserFactory(organisation=None, date_joined=LONG_AGO)

    plan(NOON_UTC)

    assert not Nudge.objects.filter(user__in=[gone, without_organisation]).exists()


# Daylight saving time (Europe/London: forward on 29 March 2026, back on 25 October 2026)


def test_the_spring_forward_day_has_exactly_one_daily_nudge_at_nine_local():
    someone = person(LONDON, weekly_lookback=False)

    run_the_clock(utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 0, 0))

    sent = sent_daily_per_local_day(someone)
    assert sent[date(2026, 3, 28)] == [local(LONDON, 2026, 3, 28, 9, 0)]  # 09:00 UTC (GMT)
    assert sent[date(2026, 3, 29)] == [local(LONDON, 2026, 3, 29, 9, 0)]  # 08:00 UTC (BST)
    assert sent[date(2026, 3, 30)] == [local(LONDON, 2026, 3, 30, 9, 0)]
    assert daily_nudges(someone).filter(planned_for=date(2026, 3, 29)).count() == 1


def test_the_fall_back_day_has_exactly_one_daily_nudge_at_nine_local():
    someone = person(LONDON, weekly_lookback=False)

    run_the_clock(utc(2026, 10, 23, 20, 0), utc(2026, 10, 27, 0, 0))

    sent = sent_daily_per_local_day(someone)
    assert sent[date(2026, 10, 24)] == [local(LONDON, 2026, 10, 24, 9, 0)]  # 08:00 UTC (BST)
    assert sent[date(2026, 10, 25)] == [local(LONDON, 2026, 10, 25, 9, 0)]  # 09:00 UTC (GMT)
    assert sent[date(2026, 10, 26)] == [local(LONDON, 2026, 10, 26, 9, 0)]
    assert daily_nudges(someone).filter(planned_for=date(2026, 10, 25)).count() == 1


def test_a_daily_time_in_the_hour_skipped_by_spring_forward_still_gives_one_nudge_that_day():
    """01:30 does not exist in London on 29 March 2026: the clocks jump from 01:00 to 02:00."""
    someone = person(LONDON, daily_exercise_at=time(1, 30), quiet_start=time(12, 0), quiet_end=time(13, 0))

    run_the_clock(utc(2026, 3, 27, 12, 0), utc(2026, 3, 31, 0, 0))

    sent = sent_daily_per_local_day(someone)
    assert sent[date(2026, 3, 28)] == [local(LONDON, 2026, 3, 28, 1, 30)]
    assert len(sent[date(2026, 3, 29)]) == 1
    assert time(0, 0) <= sent[date(2026, 3, 29)][0].time() < time(3, 0)
    assert sent[date(2026, 3, 30)] == [local(LONDON, 2026, 3, 30, 1, 30)]
    assert daily_nudges(someone).filter(planned_for=date(2026, 3, 29)).count() == 1


def test_a_daily_time_in_the_hour_repeated_by_fall_back_gives_one_nudge_not_two():
    """01:30 happens twice in London on 25 October 2026: at 00:30 UTC and again at 01:30 UTC."""
    someone = person(LONDON, daily_exercise_at=time(1, 30), quiet_start=time(12, 0), quiet_end=time(13, 0))

    run_the_clock(utc(2026, 10, 23, 20, 0), utc(2026, 10, 27, 0, 0))

    sent = sent_daily_per_local_day(someone)
    assert sent[date(2026, 10, 24)] == [utc(2026, 10, 24, 0, 30)]  # 01:30 BST
    assert len(sent[date(2026, 10, 25)]) == 1
    # Aware times in a repeated hour never equal times in another zone (PEP 495): compare in UTC.
    assert sent[date(2026, 10, 25)][0].astimezone(UTC) in (utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30))
    assert sent[date(2026, 10, 26)] == [utc(2026, 10, 26, 1, 30)]  # 01:30 GMT
    assert daily_nudges(someone).filter(planned_for=date(2026, 10, 25)).count() == 1


# Quiet hours


def test_a_nudge_due_in_overnight_quiet_hours_waits_until_they_end():
    paris = "Europe/Paris"
    someone = person(paris, quiet_start=time(22, 0), quiet_end=time(7, 0))
    colleague = UserFactory(organisation=someone.organisation)
    acknowledge(colleague, someone, local(paris, 2026, 6, 10, 23, 2))
    nudge = Nudge.objects.get(user=someone, kind=Kind.SEEN)

    deliver(nudge.due_at)

    nudge.refresh_from_db()
    assert nudge.status == PENDING
    assert nudge.due_at == local(paris, 2026, 6, 11, 7, 0)
    assert not Event.objects.filter(user=someone, type="nudge").exists()


def test_a_deferred_nudge_is_sent_once_quiet_hours_are_over():
    paris = "Europe/Paris"
    someone = person(paris, quiet_start=time(22, 0), quiet_end=time(7, 0))
    colleague = UserFactory(organisation=someone.organisation)
    acknowledge(colleague, someone, local(paris, 2026, 6, 10, 23, 2))
    nudge = Nudge.objects.get(user=someone, kind=Kind.SEEN)
    deliver(nudge.due_at)

    deliver(local(paris, 2026, 6, 11, 7, 0))

    nudge.refresh_from_db()
    assert nudge.status == SENT
    assert nudge.sent_at == local(paris, 2026, 6, 11, 7, 0)


def test_a_daily_nudge_in_the_early_morning_quiet_hours_goes_out_when_they_end():
    tokyo = "Asia/Tokyo"
    someone = person(tokyo, daily_exercise_at=time(6, 30), quiet_start=time(21, 0), quiet_end=time(8, 0))
    plan(local(tokyo, 2026, 6, 10, 6, 0))

    deliver(local(tokyo, 2026, 6, 10, 6, 30))
    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.due_at) == (PENDING, local(tokyo, 2026, 6, 10, 8, 0))

    deliver(local(tokyo, 2026, 6, 10, 8, 0))
    nudge.refresh_from_db()
    assert nudge.status == SENT
    assert nudge.sent_at == local(tokyo, 2026, 6, 10, 8, 0)


def test_a_daily_nudge_whose_time_falls_in_the_evening_quiet_hours_goes_out_when_they_end():
    """22:30 is inside the default quiet hours (21:00-08:00): deferred to 08:00, then sent."""
    paris = "Europe/Paris"
    someone = person(paris, daily_exercise_at=time(22, 30))
    plan(local(paris, 2026, 6, 10, 22, 0))
    deliver(local(paris, 2026, 6, 10, 22, 30))
    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.due_at) == (PENDING, local(paris, 2026, 6, 11, 8, 0))

    deliver(local(paris, 2026, 6, 11, 8, 0))

    nudge.refresh_from_db()
    assert (nudge.status, nudge.reason) == (SENT, "")
    assert nudge.sent_at == local(paris, 2026, 6, 11, 8, 0)


def test_quiet_hours_within_one_day_defer_to_their_end_the_same_day():
    someone = person("America/New_York", daily_exercise_at=time(12, 30), quiet_start=time(12, 0), quiet_end=time(14, 0))
    plan(local("America/New_York", 2026, 6, 10, 11, 0))

    deliver(local("America/New_York", 2026, 6, 10, 12, 30))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.due_at) == (PENDING, local("America/New_York", 2026, 6, 10, 14, 0))


# The daily cap, counted in the person's local day


def test_a_second_nudge_the_same_local_day_is_skipped_over_a_cap_of_one():
    """Auckland is UTC+12 in June: 09:00 and 19:00 on 10 June there fall on different UTC dates."""
    auckland = "Pacific/Auckland"
    someone = person(auckland, daily_cap=1)
    colleague = UserFactory(organisation=someone.organisation)
    plan(local(auckland, 2026, 6, 10, 8, 30))
    deliver(local(auckland, 2026, 6, 10, 9, 0))
    acknowledge(colleague, someone, local(auckland, 2026, 6, 10, 18, 55))

    deliver(local(auckland, 2026, 6, 10, 19, 0))

    assert daily_nudges(someone).get(planned_for=date(2026, 6, 10)).status == SENT
    seen = Nudge.objects.get(user=someone, kind=Kind.SEEN)
    assert (seen.status, seen.reason) == (SKIPPED, "daily_cap")
    assert seen.sent_at is None


def test_the_daily_cap_starts_afresh_the_next_local_day():
    """Honolulu is UTC-10: 20:00 on 10 June and 09:00 on 11 June there are both 11 June in UTC."""
    honolulu = "Pacific/Honolulu"
    someone = person(honolulu, daily_cap=1, quiet_start=time(22, 0), quiet_end=time(7, 0))
    colleague = UserFactory(organisation=someone.organisation)
    acknowledge(colleague, someone, local(honolulu, 2026, 6, 10, 19, 55))
    deliver(local(honolulu, 2026, 6, 10, 20, 0))
    plan(local(honolulu, 2026, 6, 11, 8, 30))

    deliver(local(honolulu, 2026, 6, 11, 9, 0))

    assert Nudge.objects.get(user=someone, kind=Kind.SEEN).status == SENT
    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 11))
    assert (nudge.status, nudge.reason) == (SENT, "")


def test_by_default_a_third_nudge_in_a_day_is_skipped():
    someone = person()
    colleagues = UserFactory.create_batch(3, organisation=someone.organisation)
    for hour, colleague in zip((10, 12, 14), colleagues, strict=True):
        acknowledge(colleague, someone, utc(2026, 6, 10, hour, 1))
        deliver(utc(2026, 6, 10, hour, 10))

    statuses = list(
        Nudge.objects.filter(user=someone, kind=Kind.SEEN).order_by("due_at").values_list("status", "reason")
    )
    assert statuses == [(SENT, ""), (SENT, ""), (SKIPPED, "daily_cap")]


# Snooze


def test_nothing_is_sent_while_snoozed():
    someone = person(snoozed_until=utc(2026, 6, 10, 12, 0))
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.reason) == (SKIPPED, "snoozed")
    assert not Event.objects.filter(user=someone, type="nudge").exists()


def test_nudges_flow_again_once_the_snooze_is_over():
    someone = person(snoozed_until=utc(2026, 6, 10, 8, 59))
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    assert daily_nudges(someone).get(planned_for=date(2026, 6, 10)).status == SENT


# Opting out per kind


def test_turning_the_daily_exercise_off_means_none_is_planned():
    someone = person(daily_exercise=False)

    plan(utc(2026, 6, 10, 8, 0))
    plan(utc(2026, 6, 10, 20, 0))

    assert not daily_nudges(someone).exists()


def test_turning_the_daily_exercise_off_leaves_other_people_planned():
    person(daily_exercise=False)
    other = person()

    plan(utc(2026, 6, 10, 8, 0))

    assert daily_nudges(other).filter(planned_for=date(2026, 6, 10)).exists()


def test_a_daily_nudge_planned_before_opting_out_is_skipped_when_due():
    someone = person()
    plan(utc(2026, 6, 10, 8, 0))
    Preferences.objects.create(user=someone, daily_exercise=False)

    deliver(utc(2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.reason) == (SKIPPED, "opted_out")


def test_someone_who_turned_seen_off_is_not_told_they_were_seen():
    someone = person(seen=False)
    acknowledge(UserFactory(organisation=someone.organisation), someone, utc(2026, 6, 10, 10, 1))

    deliver(utc(2026, 6, 10, 10, 10))

    assert not Nudge.objects.filter(user=someone, kind=Kind.SEEN, status=SENT).exists()
    assert not Event.objects.filter(user=someone, type="nudge").exists()


# The daily exercise: not when it is already done


def test_the_daily_nudge_is_skipped_when_an_exercise_was_done_earlier_that_local_day(todays_exercise):
    someone = person("Pacific/Honolulu")
    plan(local("Pacific/Honolulu", 2026, 6, 10, 7, 0))
    RunFactory(user=someone, exercise=todays_exercise, completed_at=local("Pacific/Honolulu", 2026, 6, 10, 7, 30))

    deliver(local("Pacific/Honolulu", 2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert (nudge.status, nudge.reason) == (SKIPPED, "already_done")


def test_an_exercise_done_the_evening_before_in_local_time_does_not_count_for_today(todays_exercise):
    """23:00 on 9 June in Honolulu is already 10 June in UTC."""
    someone = person("Pacific/Honolulu")
    RunFactory(user=someone, exercise=todays_exercise, completed_at=local("Pacific/Honolulu", 2026, 6, 9, 23, 0))
    plan(local("Pacific/Honolulu", 2026, 6, 10, 7, 0))

    deliver(local("Pacific/Honolulu", 2026, 6, 10, 9, 0))

    assert daily_nudges(someone).get(planned_for=date(2026, 6, 10)).status == SENT


# Reflecting after a run or a session


def complete_a_run(user, exercise, at: datetime):
    with time_machine.travel(at, tick=False):
        run, _ = run_start(user=user, exercise_slug=exercise.slug, client_id=uuid.uuid4())
        return run_complete(user=user, run_id=run.pk)


def test_a_reflection_prompt_is_due_thirty_minutes_after_a_completed_run(todays_exercise):
    someone = person()

    run = complete_a_run(someone, todays_exercise, utc(2026, 6, 10, 10, 0))

    nudge = Nudge.objects.get(user=someone, kind=Kind.REFLECT_AFTER)
    assert nudge.due_at == run.completed_at + timedelta(minutes=30) == utc(2026, 6, 10, 10, 30)
    assert nudge.status == PENDING


def test_the_reflection_prompt_is_sent_when_the_run_has_no_reflection(todays_exercise):
    someone = person()
    complete_a_run(someone, todays_exercise, utc(2026, 6, 10, 10, 0))

    deliver(utc(2026, 6, 10, 10, 30))

    assert Nudge.objects.get(user=someone, kind=Kind.REFLECT_AFTER).status == SENT


def test_the_reflection_prompt_is_skipped_when_the_run_already_has_a_reflection(todays_exercise):
    someone = person()
    run = complete_a_run(someone, todays_exercise, utc(2026, 6, 10, 10, 0))
    ReflectionFactory(author=someone, run=run)

    deliver(utc(2026, 6, 10, 10, 30))

    nudge = Nudge.objects.get(user=someone, kind=Kind.REFLECT_AFTER)
    assert (nudge.status, nudge.reason) == (SKIPPED, "already_reflected")


def test_a_reflection_on_another_run_does_not_silence_the_prompt(todays_exercise):
    someone = person()
    earlier = complete_a_run(someone, todays_exercise, utc(2026, 6, 9, 10, 0))
    ReflectionFactory(author=someone, run=earlier)
    complete_a_run(someone, todays_exercise, utc(2026, 6, 10, 10, 0))

    deliver(utc(2026, 6, 10, 10, 30))

    latest = Nudge.objects.filter(user=someone, kind=Kind.REFLECT_AFTER).order_by("-due_at").first()
    assert latest.status == SENT


def test_each_participant_of_a_group_session_is_asked_to_reflect_thirty_minutes_after_it_ends(team, lead, member):
    exercise = share_exercise()
    with time_machine.travel(utc(2026, 6, 10, 10, 0), tick=False):
        session, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
        session_connect(user=member, session_id=session.pk, channel_name="member-socket")
    with time_machine.travel(utc(2026, 6, 10, 10, 20), tick=False):
        session_end(user=lead, session_id=session.pk, version=session.version)

    nudge = Nudge.objects.get(user=member, kind=Kind.REFLECT_AFTER)
    assert nudge.due_at == utc(2026, 6, 10, 10, 50)
    assert nudge.context == {"session_id": session.pk}


# Seen: several acknowledgements in one 10-minute window make one nudge


def test_three_acknowledgements_within_ten_minutes_make_one_seen_nudge_naming_three_colleagues():
    someone = person()
    for minute in (1, 4, 8):
        acknowledge(UserFactory(organisation=someone.organisation), someone, utc(2026, 6, 10, 10, minute))

    deliver(utc(2026, 6, 10, 10, 10))

    nudge = Nudge.objects.get(user=someone, kind=Kind.SEEN)
    assert nudge.status == SENT
    assert "3 colleagues" in nudge.title


def test_one_colleague_acknowledging_three_times_in_a_window_is_not_three_colleagues():
    someone = person()
    colleague = UserFactory(organisation=someone.organisation)
    for minute in (1, 4, 8):
        acknowledge(colleague, someone, utc(2026, 6, 10, 10, minute))

    deliver(utc(2026, 6, 10, 10, 10))

    nudge = Nudge.objects.get(user=someone, kind=Kind.SEEN)
    assert nudge.status == SENT
    assert "3 colleagues" not in nudge.title
    assert nudge.title == "Someone saw you"


def test_acknowledgements_in_separate_windows_make_separate_seen_nudges():
    someone = person()
    acknowledge(UserFactory(organisation=someone.organisation), someone, utc(2026, 6, 10, 10, 1))
    acknowledge(UserFactory(organisation=someone.organisation), someone, utc(2026, 6, 10, 10, 31))

    assert Nudge.objects.filter(user=someone, kind=Kind.SEEN).count() == 2


def test_a_single_acknowledgement_says_someone_saw_you():
    someone = person()
    acknowledge(UserFactory(organisation=someone.organisation), someone, utc(2026, 6, 10, 10, 1))

    deliver(utc(2026, 6, 10, 10, 10))

    assert Nudge.objects.get(user=someone, kind=Kind.SEEN).title == "Someone saw you"


# A lead starts a live group exercise


def test_the_teams_members_are_told_at_once_when_their_lead_starts_a_group_exercise(team, lead, member, teammate):
    lead.display_name = "Ana"
    lead.save()
    exercise = share_exercise()
    start = utc(2026, 6, 10, 10, 0)
    with time_machine.travel(start, tick=False):
        session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())

    deliver(start)

    nudges = Nudge.objects.filter(kind=Kind.SESSION_STARTED)
    assert {nudge.user_id for nudge in nudges} == {member.pk, teammate.pk}
    assert all(nudge.due_at == start and nudge.status == SENT for nudge in nudges)
    assert all(nudge.title == "Ana started a group exercise" for nudge in nudges)


def test_someone_outside_the_team_is_not_told_of_its_group_exercise(team, lead, member, colleague):
    exercise = share_exercise()
    with time_machine.travel(utc(2026, 6, 10, 10, 0), tick=False):
        session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())

    assert not Nudge.objects.filter(user=colleague).exists()
    assert not Nudge.objects.filter(user=lead).exists()


# The weekly look-back, Friday afternoon local


def test_the_weekly_look_back_is_planned_for_friday_at_four_in_the_afternoon_local():
    tokyo = "Asia/Tokyo"
    someone = person(tokyo)

    plan(local(tokyo, 2026, 6, 11, 12, 0))  # Thursday

    nudge = Nudge.objects.get(user=someone, kind=Kind.WEEKLY_LOOKBACK)
    assert nudge.planned_for == date(2026, 6, 12)
    assert nudge.due_at == local(tokyo, 2026, 6, 12, 16, 0) == utc(2026, 6, 12, 7, 0)


def test_the_weekly_look_back_is_sent_on_friday_afternoon(todays_exercise):
    tokyo = "Asia/Tokyo"
    someone = person(tokyo)
    RunFactory(user=someone, exercise=todays_exercise, completed_at=local(tokyo, 2026, 6, 10, 12, 0))
    plan(local(tokyo, 2026, 6, 12, 15, 0))

    deliver(local(tokyo, 2026, 6, 12, 16, 0))

    nudge = Nudge.objects.get(user=someone, kind=Kind.WEEKLY_LOOKBACK)
    assert nudge.status == SENT
    assert nudge.title == "Your week"
    assert nudge.body.startswith("1 exercise")


def test_planning_the_weekly_look_back_twice_in_a_week_makes_one():
    someone = person()

    for now in (utc(2026, 6, 11, 8, 0), utc(2026, 6, 11, 20, 0), utc(2026, 6, 12, 15, 30)):
        plan(now)

    assert Nudge.objects.filter(user=someone, kind=Kind.WEEKLY_LOOKBACK).count() == 1


# Reconnect, after 14 days of acknowledging nobody


@pytest.fixture
def quiet_teammate():
    """Has acknowledged Bea once, 20 days ago; Cy is a teammate never acknowledged."""
    team = TeamFactory()
    quiet = MembershipFactory(team=team, user__date_joined=LONG_AGO).user
    bea = MembershipFactory(team=team, user__display_name="Bea").user
    MembershipFactory(team=team, user__display_name="Cy")
    AcknowledgementFactory(sender=quiet, recipient=bea, created_at=utc(2026, 5, 21, 10, 0))
    return quiet


def test_someone_who_acknowledged_nobody_for_two_weeks_is_nudged_to_reconnect(quiet_teammate):
    plan(utc(2026, 6, 10, 9, 0))

    nudge = Nudge.objects.get(user=quiet_teammate, kind=Kind.RECONNECT)
    assert nudge.due_at == utc(2026, 6, 10, 11, 0)


def test_the_reconnect_nudge_suggests_a_teammate_not_acknowledged_yet(quiet_teammate):
    plan(utc(2026, 6, 10, 9, 0))

    deliver(utc(2026, 6, 10, 11, 0))

    nudge = Nudge.objects.get(user=quiet_teammate, kind=Kind.RECONNECT)
    assert nudge.status == SENT
    assert "Cy" in nudge.title
    assert "Bea" not in nudge.title + nudge.body


def test_the_reconnect_nudge_never_suggests_a_teammate_whose_account_is_closed():
    team = TeamFactory()
    quiet = MembershipFactory(team=team, user__date_joined=LONG_AGO).user
    MembershipFactory(team=team, user__display_name="Gone", user__is_active=False)
    MembershipFactory(team=team, user__display_name="Dee")
    plan(utc(2026, 6, 10, 9, 0))

    deliver(utc(2026, 6, 10, 11, 0))

    nudge = Nudge.objects.get(user=quiet, kind=Kind.RECONNECT)
    assert nudge.status == SENT
    assert "Dee" in nudge.title
    assert "Gone" not in nudge.title + nudge.body


def test_someone_who_acknowledged_a_colleague_this_fortnight_is_not_nudged_to_reconnect(quiet_teammate):
    bea = Membership.objects.filter(team__memberships__user=quiet_teammate, user__display_name="Bea").get().user
    AcknowledgementFactory(sender=quiet_teammate, recipient=bea, created_at=utc(2026, 6, 1, 10, 0))

    plan(utc(2026, 6, 10, 9, 0))

    assert not Nudge.objects.filter(user=quiet_teammate, kind=Kind.RECONNECT).exists()


def test_someone_who_acknowledged_a_colleague_after_the_nudge_was_planned_is_not_sent_it(quiet_teammate):
    plan(utc(2026, 6, 10, 9, 0))
    AcknowledgementFactory(sender=quiet_teammate, created_at=utc(2026, 6, 10, 10, 0))

    deliver(utc(2026, 6, 10, 11, 0))

    nudge = Nudge.objects.get(user=quiet_teammate, kind=Kind.RECONNECT)
    assert (nudge.status, nudge.reason) == ("skipped", "already_reconnected")


def test_reconnect_nudges_sent_together_each_name_the_persons_own_teammate(quiet_teammate):
    """Cy for the one who acknowledged Bea; for someone in another team, their own first
    teammate; nothing for someone who has acknowledged every teammate already."""
    elsewhere = TeamFactory()
    other_quiet = MembershipFactory(team=elsewhere, user__date_joined=LONG_AGO).user
    MembershipFactory(team=elsewhere, user__display_name="Eve")
    MembershipFactory(team=elsewhere, user__display_name="Fay")
    small = TeamFactory()
    thorough = MembershipFactory(team=small, user__date_joined=LONG_AGO).user
    only_mate = MembershipFactory(team=small, user__display_name="Gil").user
    AcknowledgementFactory(sender=thorough, recipient=only_mate, created_at=utc(2026, 5, 20, 10, 0))
    plan(utc(2026, 6, 10, 9, 0))

    deliver(utc(2026, 6, 10, 11, 0))

    nudges = {n.user_id: n for n in Nudge.objects.filter(kind=Kind.RECONNECT)}
    assert nudges[quiet_teammate.pk].title == "Thinking of Cy?"
    assert nudges[other_quiet.pk].title == "Thinking of Eve?"
    assert (nudges[thorough.pk].status, nudges[thorough.pk].reason) == ("skipped", "nothing_to_say")


def test_someone_who_joined_less_than_two_weeks_ago_is_not_nudged_to_reconnect():
    team = TeamFactory()
    newcomer = MembershipFactory(team=team, user__date_joined=utc(2026, 6, 1, 9, 0)).user
    MembershipFactory(team=team)

    plan(utc(2026, 6, 10, 9, 0))

    assert not Nudge.objects.filter(user=newcomer, kind=Kind.RECONNECT).exists()


# What a sent nudge leaves behind


def test_a_sent_nudge_has_its_text_its_time_and_an_event_on_the_stream():
    someone = person()
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert nudge.status == SENT
    assert nudge.sent_at == utc(2026, 6, 10, 9, 0)
    assert nudge.title == "Today's exercise"
    assert nudge.body == "Three good things: 5 minutes, whenever suits you."
    event = Event.objects.get(user=someone, type="nudge")
    assert event.data == {"nudge_id": nudge.pk, "kind": "daily_exercise", "title": nudge.title, "body": nudge.body}


def test_someone_without_any_device_still_gets_the_in_app_copy():
    someone = person()
    assert not Device.objects.filter(user=someone).exists()
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert nudge.status == SENT
    assert Event.objects.filter(user=someone, type="nudge", data__nudge_id=nudge.pk).count() == 1
    assert not DeliveryAttempt.objects.filter(nudge=nudge).exists()


def test_each_active_device_gets_the_push_once_and_each_attempt_is_recorded():
    someone = person()
    phone = Device.objects.create(user=someone, token="phone-token", platform="ios")
    browser = Device.objects.create(user=someone, token="browser-token", platform="web")
    Device.objects.create(user=someone, token="dead-token", platform="android", active=False)
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))
    deliver(utc(2026, 6, 10, 9, 5))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    attempts = DeliveryAttempt.objects.filter(nudge=nudge)
    assert sorted(attempts.values_list("device_id", "outcome")) == sorted([(phone.pk, "sent"), (browser.pk, "sent")])


def test_delivering_twice_sends_a_nudge_once():
    someone = person()
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))
    deliver(utc(2026, 6, 10, 9, 1))

    assert Event.objects.filter(user=someone, type="nudge").count() == 1


# Language


def test_a_french_speaker_gets_the_daily_nudge_in_french():
    someone = person(locale="fr")
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    nudge = daily_nudges(someone).get(planned_for=date(2026, 6, 10))
    assert nudge.status == SENT
    assert nudge.title != "Today's exercise"
    assert nudge.body != "Three good things: 5 minutes, whenever suits you."
    assert "Three good things" in nudge.body and "5" in nudge.body


FACTS = {
    Kind.DAILY_EXERCISE: {"title": "Three good things", "minutes": 5},
    Kind.REFLECT_AFTER: {},
    Kind.SEEN: {"count": 3},
    Kind.SESSION_STARTED: {"started_by": "Ana", "title": "Retro", "team": "Platform"},
    Kind.WEEKLY_LOOKBACK: {"exercises": 2, "acknowledgements": 4, "looking_back": 2},
    Kind.RECONNECT: {"name": "Cy"},
    Kind.ORPHAN_CLAIMED: {"name": "Dee", "title": "The flaky build"},
    Kind.ORPHAN_REMINDER: {"title": "The flaky build"},
    Kind.PAIR_INVITED: {"invited_by": "Eli", "title": "What fills your weekend?"},
    Kind.AGREEMENT_REVIEW: {"kind": "contribution", "team": "Platform", "exercise": "Draft what we contribute"},
    Kind.COMMITMENT_CHECK_BACK: {"what": "Chase the vendor", "more": 1},
    Kind.CLAIM_HANDED_BACK: {"title": "The flaky build", "exercise": "Répétez votre réaction"},
    Kind.TEAM_QUIET: {"team": "Platform"},
    Kind.ORPHAN_UNCLAIMED: {"title": "The flaky build"},
}


def test_the_french_check_covers_every_kind():
    assert set(FACTS) == set(Kind)


def test_every_kind_of_nudge_has_a_french_text():
    untranslated = [
        kind
        for kind, facts in FACTS.items()
        if render(kind=kind, locale="fr", facts=facts) == render(kind=kind, locale="en", facts=facts)
    ]

    assert untranslated == []


@pytest.mark.parametrize(
    ("locale", "body"),
    [
        ("en", "1 exercise done, 1 colleague seen. Thank you for showing up."),
        ("fr", "1 exercice fait, 1 collègue remarqué·e. Merci d'être là."),
    ],
)
def test_a_week_of_one_exercise_and_one_colleague_is_told_in_the_singular(locale, body):
    facts = {"exercises": 1, "acknowledgements": 1, "looking_back": 0}
    assert render(kind=Kind.WEEKLY_LOOKBACK, locale=locale, facts=facts).body == body


def test_a_regional_french_locale_gets_french():
    assert render(kind=Kind.REFLECT_AFTER, locale="fr-CA", facts={}) == render(
        kind=Kind.REFLECT_AFTER, locale="fr", facts={}
    )
    assert render(kind=Kind.REFLECT_AFTER, locale="fr-CA", facts={}).title != "A moment to reflect?"


def test_a_locale_without_translations_falls_back_to_english():
    someone = person(locale="de")
    plan(utc(2026, 6, 10, 8, 0))

    deliver(utc(2026, 6, 10, 9, 0))

    assert daily_nudges(someone).get(planned_for=date(2026, 6, 10)).title == "Today's exercise"


def test_look_backs_sent_together_each_count_the_persons_own_week(todays_exercise):
    """Sunday 23:30 UTC was already Monday in London: that run is in the Londoner's week, not in
    the week of someone on UTC, though both look-backs go out in one batch."""
    londoner, on_utc = person("Europe/London"), person()
    for someone in (londoner, on_utc):
        RunFactory(user=someone, exercise=todays_exercise, completed_at=utc(2026, 6, 7, 23, 30))
    AcknowledgementFactory(sender=on_utc, created_at=utc(2026, 6, 12, 9, 0))
    plan(utc(2026, 6, 11, 20, 0))

    deliver(utc(2026, 6, 12, 16, 0))

    bodies = {n.user_id: n.body for n in Nudge.objects.filter(kind=Kind.WEEKLY_LOOKBACK, status=SENT)}
    assert bodies[londoner.pk].startswith("1 exercise done, 0 colleagues seen.")
    assert bodies[on_utc.pk].startswith("0 exercises done, 1 colleague seen.")

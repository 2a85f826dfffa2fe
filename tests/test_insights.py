"""Coach insights: who may look (the API, its CSV and the web dashboard), the anonymity
threshold k, what each figure counts and when it is suppressed, that no text, name or email
ever reaches a coach, the audit log of every look, bad input, the weekly rollups, and a query
count that does not grow with teams or weeks.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC) and read on 2026-03-20, once
that week is over and rolled up."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from accounts.factories import DEFAULT_PASSWORD, OrganisationFactory
from accounts.models import Organisation
from acknowledgements.factories import AcknowledgementFactory
from acknowledgements.models import Acknowledgement
from exercises.factories import ExerciseFactory, RunFactory, ThemeFactory
from exercises.models import Exercise
from group_sessions.factories import ConnectionFactory, GroupSessionFactory
from group_sessions.models import GroupSession, Share
from insights.models import InsightView, TeamWeek
from insights.services import insights_catch_up, insights_roll_up
from insights.tasks import roll_up_insights
from orphans.factories import ActivityFactory, OrphanFactory
from orphans.services import orphan_claim, orphan_post, orphan_release
from reflections.factories import ReflectionFactory
from reflections.models import Reflection
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership
from tests.conftest import embedded_insights, error_codes

pytestmark = pytest.mark.django_db

User = get_user_model()


# Helpers


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY = date(2026, 3, 2)  # 2026-W10
WEEK = "2026-W10"
DURING = utc(2026, 3, 4, 12)  # Wednesday of 2026-W10
AFTER = utc(2026, 3, 20, 12)  # 2026-W12 is running; 2026-W10 and 2026-W11 are over
ONE_WEEK = f"from={WEEK}&to={WEEK}"

HIDDEN = {"value": None, "suppressed": "fewer_than_k"}
TOO_SMALL = {"value": None, "suppressed": "team_too_small"}


def shown(value) -> dict:
    return {"value": value, "suppressed": None}


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def team_of(size: int, organisation, **team_fields):
    team = TeamFactory(organisation=organisation, **team_fields)
    return team, [MembershipFactory(team=team).user for _ in range(size)]


def exercise(slug: str, mode=Exercise.Mode.SOLO):
    return ExerciseFactory(theme=ThemeFactory(slug=slug), mode=mode)


def complete(person, an_exercise, when=DURING):
    return RunFactory(user=person, exercise=an_exercise, started_at=when, completed_at=when)


def reflect(person, mood=3, when=DURING, **fields):
    return ReflectionFactory(author=person, mood=mood, created_at=when, updated_at=when, **fields)


def acknowledge(sender, recipient, behaviour=Acknowledgement.Behaviour.HELPED, when=DURING, **fields):
    return AcknowledgementFactory(sender=sender, recipient=recipient, behaviour=behaviour, created_at=when, **fields)


def session_of(team, attendees, when=DURING, an_exercise=None):
    session = GroupSessionFactory(
        team=team,
        exercise=an_exercise or exercise(f"group-{uuid.uuid4().hex[:8]}", Exercise.Mode.GROUP),
        started_by=attendees[0],
        created_at=when,
        phase=GroupSession.Phase.ENDED,
        ended_at=when + timedelta(minutes=15),
    )
    for person in attendees:
        ConnectionFactory(session=session, user=person, opened_at=when, last_seen_at=when)
    return session


def roll_up(week: date = MONDAY) -> int:
    with at(AFTER):
        return insights_roll_up(week_start=week)


def insights_url(organisation, query: str = ONE_WEEK, path: str = "insights") -> str:
    organisation_id = getattr(organisation, "pk", organisation)
    return f"/api/v1/coach/organisations/{organisation_id}/{path}?{query}"


def ask(client_for, user, organisation, query: str = ONE_WEEK, path: str = "insights"):
    with at(AFTER):
        return client_for(user).get(insights_url(organisation, query, path))


def read(client_for, coach, organisation, query: str = ONE_WEEK) -> dict:
    response = ask(client_for, coach, organisation, query)
    assert response.status_code == 200, response.content
    return response.json()


def read_csv(client_for, coach, organisation, query: str = ONE_WEEK) -> list[list[str]]:
    response = ask(client_for, coach, organisation, query, path="insights.csv")
    assert response.status_code == 200, response.content
    return list(csv.reader(io.StringIO(response.content.decode())))


def team_week(body: dict, team, week: str = WEEK) -> dict:
    table = next(table for table in body["teams"] if table["id"] == team.pk)
    return next(row for row in table["weeks"] if row["week"] == week)


def cells(row: dict):
    """Every (path, cell) of one week's row."""

    def walk(path, value):
        if "suppressed" in value:
            yield path, value
            return
        for key, inner in value.items():
            yield from walk(f"{path}.{key}", inner)

    for measure, value in row.items():
        if measure not in ("week", "members"):
            yield from walk(measure, value)


def dashboard_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def dashboard_page(user, organisation, query: str = ONE_WEEK):
    with at(AFTER):
        return dashboard_for(user).get(f"/coach/organisations/{organisation.pk}/?{query}")


def coach_of_team(team):
    return CoachAssignmentFactory(organisation=team.organisation, team=team).coach


def everyone_active(people):
    for person in people:
        reflect(person)


# Who may look

BOTH_FORMATS = pytest.mark.parametrize("path", ["insights", "insights.csv"])


@BOTH_FORMATS
def test_someone_not_signed_in_is_asked_to_sign_in(anonymous, organisation, path):
    response = anonymous.get(insights_url(organisation, path=path))
    assert response.status_code == 401


@BOTH_FORMATS
@pytest.mark.parametrize("who", ["member", "lead", "colleague", "outsider", "staff_admin"])
def test_nobody_but_a_coach_sees_insights(request, client_for, organisation, who, path):
    person = request.getfixturevalue(who)
    response = client_for(person).get(insights_url(organisation, path=path))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_a_coach")]


@BOTH_FORMATS
def test_a_coach_of_the_organisation_sees_its_insights(client_for, coach, organisation, team, path):
    response = client_for(coach).get(insights_url(organisation, path=path))
    assert response.status_code == 200


@BOTH_FORMATS
def test_a_coach_of_one_team_is_refused_another_team(client_for, organisation, path):
    team_a, _ = team_of(5, organisation)
    team_b, _ = team_of(5, organisation)
    response = client_for(coach_of_team(team_a)).get(insights_url(organisation, f"team={team_b.pk}", path))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "team_not_assigned")]


def test_a_coach_of_one_team_sees_that_team(client_for, organisation):
    team_a, _ = team_of(5, organisation)
    response = client_for(coach_of_team(team_a)).get(insights_url(organisation, f"team={team_a.pk}"))
    assert response.status_code == 200
    assert [table["id"] for table in response.json()["teams"]] == [team_a.pk]


def test_a_coach_of_one_team_sees_no_other_team_of_the_organisation(client_for, organisation):
    team_a, _ = team_of(5, organisation)
    team_of(5, organisation)
    body = client_for(coach_of_team(team_a)).get(insights_url(organisation, "")).json()
    assert [table["id"] for table in body["teams"]] == [team_a.pk]


def test_a_coach_of_several_teams_sees_each_of_them_and_no_other(client_for, organisation):
    team_a, _ = team_of(5, organisation, name="Alders")
    team_b, _ = team_of(5, organisation, name="Birches")
    team_of(5, organisation, name="Cedars")
    coach = coach_of_team(team_a)
    CoachAssignmentFactory(organisation=organisation, team=team_b, coach=coach)
    body = client_for(coach).get(insights_url(organisation, "")).json()
    assert [table["id"] for table in body["teams"]] == [team_a.pk, team_b.pk]


def test_an_organisation_wide_coach_sees_every_team(client_for, coach, organisation, team):
    other, _ = team_of(5, organisation)
    body = client_for(coach).get(insights_url(organisation, "")).json()
    assert {table["id"] for table in body["teams"]} == {team.pk, other.pk}


@BOTH_FORMATS
def test_a_coach_is_refused_another_organisation(client_for, coach, path):
    elsewhere, _ = team_of(5, OrganisationFactory())
    response = client_for(coach).get(insights_url(elsewhere.organisation, path=path))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "not_a_coach")]


def test_a_coach_cannot_reach_another_organisations_team_through_the_team_filter(client_for, coach, organisation):
    elsewhere, _ = team_of(5, OrganisationFactory())
    response = client_for(coach).get(insights_url(organisation, f"team={elsewhere.pk}"))
    assert response.status_code == 403
    assert error_codes(response) == [(None, "team_not_assigned")]


@BOTH_FORMATS
def test_an_unknown_organisation_is_refused_like_any_other(client_for, coach, path):
    response = client_for(coach).get(insights_url(999_999, path=path))
    assert response.status_code == 403


# The dashboard's doors


@pytest.mark.parametrize("page", ["/coach/", "/coach/organisations/{id}/"])
def test_the_dashboard_sends_someone_not_signed_in_to_sign_in(organisation, page):
    response = Client().get(page.format(id=organisation.pk))
    assert response.status_code == 302
    assert response["Location"].startswith("/coach/sign-in/")


@pytest.mark.parametrize("who", ["member", "lead", "outsider"])
@pytest.mark.parametrize("page", ["/coach/", "/coach/organisations/{id}/"])
def test_the_dashboard_refuses_anyone_who_is_not_a_coach(request, organisation, who, page):
    person = request.getfixturevalue(who)
    response = dashboard_for(person).get(page.format(id=organisation.pk))
    assert response.status_code == 403


def test_the_dashboard_refuses_a_coach_another_organisation(coach):
    elsewhere, _ = team_of(5, OrganisationFactory())
    response = dashboard_for(coach).get(f"/coach/organisations/{elsewhere.organisation.pk}/")
    assert response.status_code == 403


def test_a_coach_signs_in_on_the_dashboard_and_lands_on_their_organisation(coach, organisation):
    client = Client()
    signed_in = client.post("/coach/sign-in/", {"username": coach.email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302
    home = client.get("/coach/")
    assert home.status_code == 302
    assert home["Location"] == f"/coach/organisations/{organisation.pk}/"
    assert client.get(home["Location"]).status_code == 200


def test_a_team_coach_sees_only_their_team_on_the_dashboard(organisation):
    mine, people = team_of(5, organisation, name="Kestrels")
    theirs, others = team_of(5, organisation, name="Ospreys")
    everyone_active(people + others)
    roll_up()
    response = dashboard_page(coach_of_team(mine), organisation)
    assert response.status_code == 200
    assert "Kestrels" in response.content.decode()
    assert "Ospreys" not in response.content.decode()


def test_the_dashboard_shows_a_published_teams_figures(coach, organisation):
    team, people = team_of(5, organisation, name="Herons")
    everyone_active(people[:5])
    roll_up()
    page = dashboard_page(coach, organisation).content.decode()
    row = team_week(embedded_insights(page), team)
    assert (row["active"], row["members"]) == (shown(5), 5)


# The anonymity threshold k


def test_the_threshold_is_five_unless_set(client_for, coach, organisation):
    assert organisation.anonymity_threshold == 5
    assert read(client_for, coach, organisation)["organisation"]["k"] == 5


def test_the_database_refuses_a_threshold_of_two(organisation):
    with pytest.raises(IntegrityError), transaction.atomic():
        Organisation.objects.filter(pk=organisation.pk).update(anonymity_threshold=2)


def test_the_admin_form_refuses_a_threshold_of_two():
    with pytest.raises(ValidationError) as refused:
        OrganisationFactory.build(anonymity_threshold=2).full_clean()
    assert "anonymity_threshold" in refused.value.message_dict


def test_a_threshold_of_three_is_allowed():
    organisation = OrganisationFactory(anonymity_threshold=3)
    organisation.full_clean()
    organisation.refresh_from_db()
    assert organisation.anonymity_threshold == 3


def test_with_a_threshold_of_three_a_team_of_three_shows_its_figures(client_for):
    organisation = OrganisationFactory(anonymity_threshold=3)
    coach = CoachAssignmentFactory(organisation=organisation).coach
    team, people = team_of(3, organisation)
    everyone_active(people)
    roll_up()
    body = read(client_for, coach, organisation)
    assert body["organisation"]["k"] == 3
    assert team_week(body, team)["active"] == shown(3)


def test_with_a_threshold_of_seven_a_team_of_six_shows_nothing(client_for):
    organisation = OrganisationFactory(anonymity_threshold=7)
    coach = CoachAssignmentFactory(organisation=organisation).coach
    team, people = team_of(6, organisation)
    everyone_active(people)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["active"] == TOO_SMALL


# A team below k shows nothing; a team at k shows its figures


def a_busy_week_for(team, people):
    """Everyone does a bit of everything."""
    solo = exercise("curiosity")
    for person in people:
        complete(person, solo)
        reflect(person, mood=4)
        acknowledge(person, people[0] if person != people[0] else people[1])
    session_of(team, people)
    for poster, claimant in zip(people, people[1:] + people[:1], strict=True):
        OrphanFactory(
            team=team,
            posted_by=poster,
            created_at=DURING,
            claimed_by=claimant,
            first_claimed_at=DURING + timedelta(minutes=20),
            claimed_at=DURING + timedelta(minutes=20),
        )


def test_a_coach_never_sees_a_team_of_four(client_for, coach, organisation):
    team, people = team_of(4, organisation)
    a_busy_week_for(team, people)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["members"] is None
    assert {path: cell for path, cell in cells(week) if cell != TOO_SMALL} == {}


def test_a_team_of_five_shows_its_figures(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    a_busy_week_for(team, people)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["members"] == 5
    assert week["active"] == shown(5)
    assert week["participation_rate"] == shown(1.0)
    assert week["mood"] == shown(4.0)


def test_a_person_who_has_been_deactivated_is_not_counted_as_a_member(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    everyone_active(people)
    User.objects.filter(pk=people[0].pk).update(is_active=False)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["members"] is None
    assert week["active"] == TOO_SMALL


# What each figure counts, and when it is suppressed


def test_active_people_and_participation_rate_are_shown_from_five_people(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people[:5])
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert (week["members"], week["active"], week["participation_rate"]) == (6, shown(5), shown(0.833))


def test_four_active_people_out_of_six_are_suppressed_with_the_participation_rate(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people[:4])
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert (week["members"], week["active"], week["participation_rate"]) == (6, HIDDEN, HIDDEN)


def test_every_kind_of_activity_counts_a_person_as_active(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    complete(people[0], exercise("curiosity"))
    reflect(people[1], mood=None)
    acknowledge(people[2], people[5])
    session_of(team, [people[3]])
    ActivityFactory(orphan=OrphanFactory(team=team, posted_by=people[4], created_at=DURING), created_at=DURING)
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["active"] == shown(5)


def test_activity_outside_the_week_does_not_count(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people[:4])
    reflect(people[4], when=utc(2026, 3, 1, 23, 59))  # the Sunday before
    reflect(people[5], when=utc(2026, 3, 9, 0, 0))  # the Monday after
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["active"] == HIDDEN


def test_completions_by_theme_count_every_completed_run(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    curiosity = exercise("curiosity")
    for person in people:
        complete(person, curiosity)
    complete(people[0], curiosity)
    RunFactory(user=people[1], exercise=curiosity, started_at=DURING, completed_at=None)  # started, not done
    roll_up()
    assert team_week(read(client_for, coach, organisation), team)["completions_by_theme"]["curiosity"] == shown(7)


def test_a_theme_done_by_only_four_people_is_suppressed_while_six_active_are_shown(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    curiosity, safety = exercise("curiosity"), exercise("safety")
    for person in people:
        complete(person, curiosity)
    for person in people[:4]:
        complete(person, safety)
        complete(person, safety)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["active"] == shown(6)
    assert week["completions_by_theme"]["safety"] == HIDDEN


def test_a_theme_nobody_did_is_null_with_a_reason_not_zero(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    curiosity = exercise("curiosity")
    exercise("safety")
    for person in people:
        complete(person, curiosity)
    roll_up()
    body = read(client_for, coach, organisation)
    assert body["themes"] == ["curiosity", "safety"]
    assert team_week(body, team)["completions_by_theme"]["safety"] == HIDDEN


def test_a_quiet_week_shows_gaps_never_zeros(client_for, coach, organisation):
    team, _ = team_of(5, organisation)
    exercise("curiosity")
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["members"] == 5
    assert {path: cell for path, cell in cells(week) if cell != HIDDEN} == {}


def test_group_sessions_held_and_their_average_attendance(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    group = exercise("together", Exercise.Mode.GROUP)
    session_of(team, people[:5], an_exercise=group)
    session_of(team, people, an_exercise=group)
    roll_up()
    sessions = team_week(read(client_for, coach, organisation), team)["group_sessions"]
    assert sessions == {"held": shown(2), "average_attendance": shown(5.5)}


def test_group_sessions_attended_by_four_people_are_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people)
    session_of(team, people[:4])
    session_of(team, people[1:4])
    roll_up()
    sessions = team_week(read(client_for, coach, organisation), team)["group_sessions"]
    assert sessions == {"held": HIDDEN, "average_attendance": HIDDEN}


def test_acknowledgements_within_the_team_are_counted_by_behaviour(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for sender, recipient in zip(people[:5], people[1:6], strict=True):
        acknowledge(sender, recipient, Acknowledgement.Behaviour.HELPED)
    acknowledge(people[0], people[2], Acknowledgement.Behaviour.HELPED)
    roll_up()
    within = team_week(read(client_for, coach, organisation), team)["acknowledgements"]["within"]
    assert within["helped"] == shown(6)


def test_acknowledgements_across_teams_are_counted_apart_from_those_within(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    _, others = team_of(5, organisation)
    for sender, recipient in zip(people[:5], others, strict=True):
        acknowledge(sender, recipient, Acknowledgement.Behaviour.SAW_ME)
    roll_up()
    acknowledgements = team_week(read(client_for, coach, organisation), team)["acknowledgements"]
    assert acknowledgements["across"]["saw_me"] == shown(5)
    assert acknowledgements["within"]["saw_me"] == HIDDEN


def test_a_behaviour_acknowledged_by_only_four_senders_is_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people)
    for sender in people[:4]:
        acknowledge(sender, people[5], Acknowledgement.Behaviour.SPOKE_UP)
        acknowledge(sender, people[5], Acknowledgement.Behaviour.SPOKE_UP)
    roll_up()
    within = team_week(read(client_for, coach, organisation), team)["acknowledgements"]["within"]
    assert within["spoke_up"] == HIDDEN


def test_every_behaviour_has_a_cell_on_both_sides(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    everyone_active(people)
    roll_up()
    body = read(client_for, coach, organisation)
    assert set(body["behaviours"]) == set(Acknowledgement.Behaviour.values)
    acknowledgements = team_week(body, team)["acknowledgements"]
    assert {side: set(cells) for side, cells in acknowledgements.items()} == {
        "within": set(Acknowledgement.Behaviour.values),
        "across": set(Acknowledgement.Behaviour.values),
    }


def five_orphans_claimed_after(team, posters, claimants, minutes):
    for poster, claimant, wait in zip(posters, claimants, minutes, strict=True):
        claimed = DURING + timedelta(minutes=wait)
        OrphanFactory(
            team=team,
            posted_by=poster,
            created_at=DURING,
            claimed_by=claimant,
            claimed_at=claimed,
            first_claimed_at=claimed,
            first_claimed_by=claimant,
            done_at=claimed + timedelta(hours=1),
            status="done",
        )


def test_orphans_posted_claimed_done_and_the_median_time_to_claim(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    five_orphans_claimed_after(team, people[:5], people[1:6], [10, 50, 30, 20, 40])
    roll_up()
    orphans = team_week(read(client_for, coach, organisation), team)["orphans"]
    assert orphans == {
        "posted": shown(5),
        "claimed": shown(5),
        "done": shown(5),
        "median_minutes_to_claim": shown(30.0),
    }


def test_orphans_posted_by_four_people_are_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    five_orphans_claimed_after(team, people[:4] + people[:1], people[1:6], [10, 20, 30, 40, 50])
    roll_up()
    orphans = team_week(read(client_for, coach, organisation), team)["orphans"]
    assert orphans["posted"] == HIDDEN
    assert orphans["claimed"] == shown(5)


def test_orphans_claimed_by_four_people_are_suppressed_with_their_time_to_claim(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    five_orphans_claimed_after(team, people[:5], people[1:5] + people[1:2], [10, 20, 30, 40, 50])
    roll_up()
    orphans = team_week(read(client_for, coach, organisation), team)["orphans"]
    assert (orphans["claimed"], orphans["done"], orphans["median_minutes_to_claim"]) == (HIDDEN, HIDDEN, HIDDEN)


def test_a_released_claim_does_not_count_as_one_more_person(client_for, coach, organisation):
    """Four people claim; one of them also claims a fifth problem and hands it back. Still four."""
    team, people = team_of(6, organisation)
    with at(DURING):
        orphans = [
            orphan_post(user=people[5], team_id=team.pk, title=f"Problem {n}", client_id=uuid.uuid4())[0]
            for n in range(5)
        ]
        for claimant, orphan in zip(people[:4], orphans, strict=False):
            orphan_claim(user=claimant, orphan_id=orphan.pk)
        orphan_claim(user=people[0], orphan_id=orphans[4].pk)
        orphan_release(user=people[0], orphan_id=orphans[4].pk)
    roll_up()
    orphans = team_week(read(client_for, coach, organisation), team)["orphans"]
    assert (orphans["claimed"], orphans["median_minutes_to_claim"]) == (HIDDEN, HIDDEN)


def test_mood_is_the_average_of_those_who_reported_one(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for person, mood in zip(people[:5], [2, 3, 4, 4, 5], strict=True):
        reflect(person, mood=mood)
    reflect(people[5], mood=None)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert (week["mood"], week["mood_reporters"]) == (shown(3.6), shown(5))


def test_someone_reporting_mood_twice_is_one_reporter(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for person in people[:4]:
        reflect(person, mood=3)
    reflect(people[0], mood=5)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert (week["mood"], week["mood_reporters"]) == (HIDDEN, HIDDEN)


def test_mood_reported_by_four_people_is_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    everyone_active(people)  # six active, only four with a mood
    for person in people[:2]:
        Reflection.objects.filter(author=person).update(mood=None)
    roll_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert week["active"] == shown(6)
    assert (week["mood"], week["mood_reporters"]) == (HIDDEN, HIDDEN)


def test_a_week_not_rolled_up_says_so(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    everyone_active(people)
    week = team_week(read(client_for, coach, organisation), team)
    assert week["active"] == {"value": None, "suppressed": "not_rolled_up"}


# Never a text, a name or an email


SECRETS = {
    "names": ["Quillfeather", "Zanzibarbara", "Ottoline-Vexx", "Perpetua-Snark", "Bartholomew-Ivo", "Clementine-Ruv"],
    "emails": [f"secret.person{n}@hush-hush.example" for n in range(6)],
    "reflection": "my reflection about the tangerine submarine",
    "share": "my share round answer about the velvet lighthouse",
    "acknowledgement": "thanks for rescuing the marmalade deploy",
    "orphan title": "the printer on floor nine eats staplers",
    "orphan detail": "nobody knows who owns the cobalt spreadsheet",
    "orphan note": "fixed it with a paperclip and optimism",
}


def every_secret() -> list[str]:
    flat = []
    for value in SECRETS.values():
        flat.extend(value if isinstance(value, list) else [value])
    return flat + ["hush-hush"]


@pytest.fixture
def a_team_full_of_secrets(organisation):
    team = TeamFactory(organisation=organisation, name="Lighthouse keepers")
    people = [
        MembershipFactory(team=team, user__display_name=name, user__email=email).user
        for name, email in zip(SECRETS["names"], SECRETS["emails"], strict=True)
    ]
    Membership.objects.filter(user=people[0]).update(role=Membership.Role.LEAD)
    solo = exercise("curiosity")
    for person in people:
        complete(person, solo)
        reflect(person, mood=4, body=SECRETS["reflection"])
        acknowledge(person, people[(people.index(person) + 1) % 6], message=SECRETS["acknowledgement"])
    session = session_of(team, people)
    for person in people:
        Share.objects.create(session=session, step=1, author=person, text=SECRETS["share"], created_at=DURING)
    for poster, claimant in zip(people, people[1:] + people[:1], strict=True):
        OrphanFactory(
            team=team,
            posted_by=poster,
            title=SECRETS["orphan title"],
            detail=SECRETS["orphan detail"],
            done_note=SECRETS["orphan note"],
            created_at=DURING,
            claimed_by=claimant,
            status="done",
            claimed_at=DURING + timedelta(minutes=5),
            first_claimed_at=DURING + timedelta(minutes=5),
            done_at=DURING + timedelta(minutes=30),
        )
    roll_up()
    return team


def leaked(text: str) -> list[str]:
    return [secret for secret in every_secret() if secret.lower() in text.lower()]


def test_the_json_has_figures_but_no_text_name_or_email(client_for, coach, organisation, a_team_full_of_secrets):
    response = ask(client_for, coach, organisation)
    assert team_week(response.json(), a_team_full_of_secrets)["active"] == shown(6)
    assert leaked(response.content.decode()) == []


def test_the_csv_has_figures_but_no_text_name_or_email(client_for, coach, organisation, a_team_full_of_secrets):
    response = ask(client_for, coach, organisation, path="insights.csv")
    assert "Lighthouse keepers" in response.content.decode()
    assert leaked(response.content.decode()) == []


def test_the_dashboard_has_figures_but_no_text_name_or_email(coach, organisation, a_team_full_of_secrets):
    page = dashboard_page(coach, organisation).content.decode()
    assert team_week(embedded_insights(page), a_team_full_of_secrets)["active"] == shown(6)
    assert leaked(page) == []


def test_a_team_coach_sees_no_text_name_or_email_either(client_for, organisation, a_team_full_of_secrets):
    response = ask(client_for, coach_of_team(a_team_full_of_secrets), organisation)
    assert response.status_code == 200
    assert leaked(response.content.decode()) == []


# The CSV


def test_the_csv_lists_one_cell_a_row_with_its_reason_when_suppressed(client_for, coach, organisation):
    team, people = team_of(6, organisation, name="Otters")
    everyone_active(people[:5])
    roll_up()
    rows = read_csv(client_for, coach, organisation)
    assert rows[0] == ["scope", "week", "measure", "key", "value", "suppressed"]
    assert ["Otters", WEEK, "members", "", "6", ""] in rows
    assert ["Otters", WEEK, "active", "", "5", ""] in rows
    assert ["Otters", WEEK, "group_sessions", "held", "", "fewer_than_k"] in rows


def test_the_csv_is_served_as_a_csv_attachment(client_for, coach, organisation):
    response = ask(client_for, coach, organisation, path="insights.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="insights-{organisation.pk}.csv"'


def test_the_csv_holds_the_same_cells_as_the_json(client_for, coach, organisation):
    team, people = team_of(6, organisation, name="Otters")
    a_busy_week_for(team, people)
    roll_up()
    rows = read_csv(client_for, coach, organisation)[1:]
    week = team_week(read(client_for, coach, organisation), team)
    from_json = {
        (path.split(".", 1)[0], path.split(".", 1)[1] if "." in path else "", cell["suppressed"] or "")
        for path, cell in cells(week)
    }
    from_csv = {(measure, key, suppressed) for scope, _, measure, key, _, suppressed in rows if scope == "Otters"}
    assert from_csv - {("members", "", "")} == from_json


# Every look is recorded


def test_every_json_look_is_recorded_with_who_which_organisation_and_when(client_for, coach, organisation, team):
    ask(client_for, coach, organisation)
    view = InsightView.objects.get()
    assert (view.coach, view.organisation, view.team, view.format, view.weeks, view.at) == (
        coach,
        organisation,
        None,
        "json",
        f"{WEEK}..{WEEK}",
        AFTER,
    )


def test_a_csv_look_at_one_team_is_recorded_with_the_team(client_for, coach, organisation, team):
    ask(client_for, coach, organisation, f"{ONE_WEEK}&team={team.pk}", path="insights.csv")
    view = InsightView.objects.get()
    assert (view.coach, view.organisation, view.team, view.format) == (coach, organisation, team, "csv")


def test_a_dashboard_look_is_recorded(coach, organisation, team):
    assert dashboard_page(coach, organisation).status_code == 200
    view = InsightView.objects.get()
    assert (view.coach, view.organisation, view.format, view.at) == (coach, organisation, "dashboard", AFTER)


def test_every_look_is_one_more_entry(client_for, coach, organisation, team):
    for _ in range(3):
        ask(client_for, coach, organisation)
    assert InsightView.objects.filter(coach=coach).count() == 3


def recorded_look(coach, organisation) -> InsightView:
    return InsightView.objects.create(coach=coach, organisation=organisation, weeks=f"{WEEK}..{WEEK}", format="json")


def test_the_org_admin_sees_the_looks_in_the_admin(staff_admin, coach, organisation):
    recorded_look(coach, organisation)
    response = dashboard_for(staff_admin).get("/admin/insights/insightview/")
    assert response.status_code == 200
    assert f'<td class="field-coach_id">{coach.pk}</td>' in response.content.decode()  # by id, not by name
    assert escape(organisation.name) in response.content.decode()


def test_nobody_can_add_a_look_in_the_admin(staff_admin):
    assert dashboard_for(staff_admin).get("/admin/insights/insightview/add/").status_code == 403


def test_nobody_can_change_a_look_in_the_admin(staff_admin, coach, organisation):
    look = recorded_look(coach, organisation)
    response = dashboard_for(staff_admin).post(
        f"/admin/insights/insightview/{look.pk}/change/",
        {
            "coach": coach.pk,
            "organisation": organisation.pk,
            "weeks": "2020-W01..2020-W01",
            "format": "csv",
            "at_0": "2020-01-01",
            "at_1": "00:00:00",
        },
    )
    assert response.status_code == 403
    look.refresh_from_db()
    assert (look.weeks, look.format) == (f"{WEEK}..{WEEK}", "json")


def test_nobody_can_delete_a_look_in_the_admin(staff_admin, coach, organisation):
    look = recorded_look(coach, organisation)
    response = dashboard_for(staff_admin).post(f"/admin/insights/insightview/{look.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert InsightView.objects.filter(pk=look.pk).exists()


def test_nobody_can_delete_looks_in_bulk_in_the_admin(staff_admin, coach, organisation):
    look = recorded_look(coach, organisation)
    dashboard_for(staff_admin).post(
        "/admin/insights/insightview/", {"action": "delete_selected", "_selected_action": [look.pk], "post": "yes"}
    )
    assert InsightView.objects.filter(pk=look.pk).exists()


# Bad input


@BOTH_FORMATS
@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("from=2026-13", "from"),
        ("from=2026-W99", "from"),
        ("from=abc", "from"),
        ("to=2026-13", "to"),
        ("to=2026-W99", "to"),
        ("to=abc", "to"),
        ("from=2026-W10&to=2026-W09", "from"),
        ("from=2025-W10&to=2026-W10", "from"),  # 53 weeks
        ("team=abc", "team"),
    ],
)
def test_bad_input_is_refused_on_its_field(client_for, coach, organisation, query, attr, path):
    response = ask(client_for, coach, organisation, query, path)
    assert response.status_code == 400, response.content
    assert attr in [field for field, _ in error_codes(response)]


def test_a_range_of_fifty_two_weeks_is_allowed(client_for, coach, organisation):
    body = read(client_for, coach, organisation, "from=2025-W11&to=2026-W10")
    assert len(body["weeks"]) == 52
    assert (body["weeks"][0], body["weeks"][-1]) == ("2025-W11", WEEK)


def test_by_default_a_coach_sees_the_last_twelve_finished_weeks(client_for, coach, organisation):
    body = read(client_for, coach, organisation, "")
    assert len(body["weeks"]) == 12
    assert body["weeks"][-1] == "2026-W11"


def test_bad_input_is_not_recorded_as_a_look(client_for, coach, organisation):
    ask(client_for, coach, organisation, "from=abc")
    assert not InsightView.objects.exists()


# Rollups


def test_rolling_up_a_week_twice_changes_nothing(organisation):
    team, people = team_of(5, organisation)
    everyone_active(people)
    assert roll_up() == 1
    before = list(TeamWeek.objects.values())
    reflect(MembershipFactory(team=team).user)  # late news about the same week
    assert roll_up() == 0
    assert list(TeamWeek.objects.values()) == before


def test_a_running_week_cannot_be_rolled_up(organisation):
    team_of(5, organisation)
    with at(DURING), pytest.raises(ValueError):
        insights_roll_up(week_start=MONDAY)
    assert not TeamWeek.objects.exists()


def test_a_week_can_be_rolled_up_the_moment_it_ends(organisation):
    team_of(5, organisation)
    with at(utc(2026, 3, 9)):
        assert insights_roll_up(week_start=MONDAY) == 1


def eight_finished_mondays() -> set[date]:
    last = date(2026, 3, 9)  # 2026-W11, the last week over on 2026-03-20
    return {last - timedelta(weeks=n) for n in range(8)}


def test_the_catch_up_fills_every_missing_finished_week(organisation):
    first, _ = team_of(5, organisation)
    second, _ = team_of(5, organisation)
    roll_up()
    with at(AFTER):
        assert insights_catch_up() == 2 * 8 - 2
    for team in (first, second):
        assert set(TeamWeek.objects.filter(team=team).values_list("week_start", flat=True)) == eight_finished_mondays()


def test_the_catch_up_never_rolls_up_the_running_week(organisation):
    team_of(5, organisation)
    with at(AFTER):
        insights_catch_up()
    assert not TeamWeek.objects.filter(week_start=date(2026, 3, 16)).exists()


def test_the_catch_up_has_nothing_to_do_a_second_time(organisation):
    team_of(5, organisation)
    with at(AFTER):
        insights_catch_up()
        assert insights_catch_up() == 0


def test_the_periodic_task_runs_the_catch_up(organisation):
    team_of(5, organisation)
    with at(AFTER):
        assert roll_up_insights.call() == 8
    assert TeamWeek.objects.count() == 8


# The query count does not grow with teams or weeks


def count_queries(client_for, coach, organisation, query) -> int:
    with at(AFTER):
        client = client_for(coach)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(insights_url(organisation, query))
    assert response.status_code == 200, response.content
    return len(captured)


def add_teams(organisation, n: int):
    for _ in range(n):
        _, people = team_of(5, organisation)
        for person in people:
            reflect(person)
            acknowledge(person, people[0] if person != people[0] else people[1])


def roll_up_eight_weeks():
    for n in range(8):
        roll_up(MONDAY - timedelta(weeks=n))


def test_the_insights_cost_as_many_queries_for_ten_teams_as_for_two(client_for, coach, organisation):
    add_teams(organisation, 2)
    roll_up_eight_weeks()
    few = count_queries(client_for, coach, organisation, ONE_WEEK)
    add_teams(organisation, 8)
    roll_up_eight_weeks()
    many = count_queries(client_for, coach, organisation, ONE_WEEK)
    assert TeamWeek.objects.count() == 10 * 8
    assert few == many


def test_the_insights_cost_as_many_queries_for_eight_weeks_as_for_one(client_for, coach, organisation):
    add_teams(organisation, 2)
    roll_up_eight_weeks()
    one = count_queries(client_for, coach, organisation, ONE_WEEK)
    eight = count_queries(client_for, coach, organisation, f"from=2026-W03&to={WEEK}")
    assert one == eight

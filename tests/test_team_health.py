"""Team health: the 1-5 check-ins of live sessions rolled up per team, week and question, shown
to the team's coach (insights JSON, CSV) and its lead (`GET teams/{id}/health`) under the
insights' anonymity rules; and a revealed check-in round showing how the scores spread.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC) and read on 2026-03-20, once
that week is over and rolled up."""

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from exercises.factories import ExerciseFactory, StepFactory
from exercises.models import Exercise, Step
from group_sessions.factories import GroupSessionFactory
from group_sessions.frames import round_frame
from group_sessions.models import GroupSession, Share
from group_sessions.services import round_answer, round_reveal, session_advance, session_start
from insights.services import insights_roll_up
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership
from tests.conftest import error_codes

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 3, 2)  # 2026-W10
WEEK = "2026-W10"
DURING = datetime(2026, 3, 4, 12, tzinfo=UTC)
AFTER = datetime(2026, 3, 20, 12, tzinfo=UTC)
ONE_WEEK = f"from={WEEK}&to={WEEK}"
SAFETY = "safe-to-admit-mistakes"

HIDDEN = {"value": None, "suppressed": "fewer_than_k"}


def shown(value) -> dict:
    return {"value": value, "suppressed": None}


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def check_in(question: str = SAFETY, name: str = "Safe to admit mistakes") -> Exercise:
    """A group exercise whose one round is a check-in on `question`."""
    exercise = ExerciseFactory(mode=Exercise.Mode.GROUP, steps=[])
    StepFactory(exercise=exercise, position=1, kind=Step.Kind.CHECKIN, question=question, question_name=name)
    StepFactory(exercise=exercise, position=2, kind=Step.Kind.REFLECT)
    return exercise


def answer(team, people, scores, *, exercise=None, when=DURING) -> GroupSession:
    """A session of `team` started `when`, in which each person gave their score."""
    session = GroupSessionFactory(
        team=team,
        exercise=exercise or check_in(),
        started_by=people[0],
        created_at=when,
        phase=GroupSession.Phase.ENDED,
        ended_at=when + timedelta(minutes=15),
    )
    for person, score in zip(people, scores, strict=True):
        Share.objects.create(session=session, step=1, author=person, value=score, created_at=when)
    return session


def team_of(size: int, organisation, **fields):
    team = TeamFactory(organisation=organisation, **fields)
    return team, [MembershipFactory(team=team).user for _ in range(size)]


def roll_up(week: date = MONDAY) -> int:
    with at(AFTER):
        return insights_roll_up(week_start=week)


def insights(client_for, coach, organisation, query: str = ONE_WEEK) -> dict:
    with at(AFTER):
        response = client_for(coach).get(f"/api/v1/coach/organisations/{organisation.pk}/insights?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def health_of(body: dict, team, question: str = SAFETY, week: str = WEEK) -> dict:
    table = next(table for table in body["teams"] if table["id"] == team.pk)
    return next(row for row in table["weeks"] if row["week"] == week)["health"][question]


def lead_of(team):
    return MembershipFactory(team=team, role=Membership.Role.LEAD).user


def team_health(client_for, user, team, query: str = ONE_WEEK):
    with at(AFTER):
        return client_for(user).get(f"/api/v1/teams/{team.pk}/health?{query}")


def everything_hidden(question: dict, reason: str = "fewer_than_k") -> bool:
    cells = [question["answers"], question["people"], question["mean"], *question["distribution"].values()]
    return all(cell == {"value": None, "suppressed": reason} for cell in cells)


# What a coach sees


def test_a_coach_sees_a_questions_answers_people_mean_and_spread_once_five_answered(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    answer(team, people[:5], [2, 4, 4, 5, 5])
    roll_up()

    safety = health_of(insights(client_for, coach, organisation), team)

    assert safety["answers"] == safety["people"] == shown(5)
    assert safety["mean"] == shown(4.0)
    assert safety["distribution"] == {"1": shown(0), "2": shown(1), "3": shown(0), "4": shown(2), "5": shown(2)}


def test_the_questions_are_listed_with_their_short_names(client_for, coach, organisation):
    check_in()
    body = insights(client_for, coach, organisation)
    assert body["questions"] == [{"id": SAFETY, "name": "Safe to admit mistakes"}]


def test_a_question_four_people_answered_is_suppressed_whole_never_zero(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    answer(team, people[:4], [1, 1, 1, 1])
    roll_up()
    assert everything_hidden(health_of(insights(client_for, coach, organisation), team))


def test_a_question_nobody_answered_is_suppressed_not_zero(client_for, coach, organisation):
    team, _ = team_of(6, organisation)
    check_in()
    roll_up()
    assert everything_hidden(health_of(insights(client_for, coach, organisation), team))


def test_a_team_of_four_shows_no_health(client_for, coach, organisation):
    team, people = team_of(4, organisation)
    answer(team, people, [3, 3, 3, 3])
    roll_up()
    assert everything_hidden(health_of(insights(client_for, coach, organisation), team), "team_too_small")


def test_the_same_question_asked_in_two_exercises_rolls_up_together(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    answer(team, people[:3], [3, 3, 3], exercise=check_in())
    answer(team, people[3:], [5, 5, 5], exercise=check_in())
    roll_up()
    safety = health_of(insights(client_for, coach, organisation), team)
    assert (safety["answers"], safety["people"], safety["mean"]) == (shown(6), shown(6), shown(4.0))


def test_answers_from_someone_no_longer_in_the_team_at_the_roll_up_are_not_counted(client_for, coach, organisation):
    team, people = team_of(7, organisation)
    answer(team, people[:6], [4, 4, 4, 4, 4, 1])
    Membership.objects.filter(team=team, user=people[5]).delete()
    roll_up()
    safety = health_of(insights(client_for, coach, organisation), team)
    assert (safety["people"], safety["mean"]) == (shown(5), shown(4.0))


def test_a_session_of_another_week_does_not_count(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    answer(team, people, [4] * 6, when=DURING + timedelta(weeks=1))
    roll_up()
    assert everything_hidden(health_of(insights(client_for, coach, organisation), team))


def test_a_rolled_up_week_keeps_its_health_when_answers_arrive_later(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    session = answer(team, people[:5], [4] * 5)
    roll_up()
    Share.objects.create(session=session, step=1, author=people[5], value=1)
    roll_up()
    assert health_of(insights(client_for, coach, organisation), team)["mean"] == shown(4.0)


def test_the_organisation_row_adds_up_the_published_teams_only(client_for, coach, organisation):
    alders, alder_people = team_of(5, organisation)
    birches, birch_people = team_of(6, organisation)
    answer(alders, alder_people, [4] * 5)
    answer(birches, birch_people[:4], [1] * 4)  # suppressed: left out of the organisation's row
    roll_up()
    body = insights(client_for, coach, organisation)
    whole = body["organisation_total"]["weeks"][0]["health"][SAFETY]
    assert (whole["answers"], whole["mean"], whole["distribution"]["1"]) == (shown(5), shown(4.0), shown(0))


def test_the_csv_has_a_row_per_team_week_question_and_figure(client_for, coach, organisation):
    team, people = team_of(5, organisation, name="Alders")
    answer(team, people, [3, 3, 4, 4, 5])
    roll_up()
    with at(AFTER):
        response = client_for(coach).get(f"/api/v1/coach/organisations/{organisation.pk}/insights.csv?{ONE_WEEK}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert ["Alders", WEEK, "health", f"{SAFETY}.mean", "3.8", ""] in rows
    assert ["Alders", WEEK, "health", f"{SAFETY}.distribution.4", "2", ""] in rows


# What a lead sees


def test_a_lead_sees_their_teams_health_as_its_coach_does(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    lead = lead_of(team)
    answer(team, people, [2, 3, 4, 4, 5])
    roll_up()

    response = team_health(client_for, lead, team)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["team"]["id"], body["k"], body["questions"][0]["id"]) == (team.pk, 5, SAFETY)
    assert body["weeks"][0]["health"][SAFETY] == health_of(insights(client_for, coach, organisation), team)
    assert body["weeks"][0]["health"][SAFETY]["mean"] == shown(3.6)


def test_a_lead_never_sees_a_week_fewer_than_k_people_answered(client_for, organisation):
    team, people = team_of(6, organisation)
    lead = lead_of(team)
    answer(team, [lead, *people[:3]], [1, 5, 5, 5])
    roll_up()
    week = team_health(client_for, lead, team).json()["weeks"][0]
    assert everything_hidden(week["health"][SAFETY])


def test_a_lead_sees_no_week_not_rolled_up(client_for, organisation):
    team, _ = team_of(6, organisation)
    lead = lead_of(team)
    check_in()
    week = team_health(client_for, lead, team).json()["weeks"][0]
    assert (week["members"], everything_hidden(week["health"][SAFETY], "not_rolled_up")) == (None, True)


def test_a_leads_team_that_differs_from_another_by_one_person_is_withheld_as_for_its_coach(
    client_for, coach, organisation
):
    squad, people = team_of(5, organisation, name="Squad")
    lead = people[0]
    Membership.objects.filter(team=squad, user=lead).update(role=Membership.Role.LEAD)
    department = TeamFactory(organisation=organisation, name="Department")
    for person in people:
        MembershipFactory(team=department, user=person)
    target = MembershipFactory(team=department).user  # the one person more than the squad
    answer(squad, people, [4] * 5)
    answer(department, [*people, target], [4, 4, 4, 4, 4, 1])
    roll_up()
    as_coach = insights(client_for, coach, organisation)

    week = team_health(client_for, lead, squad).json()["weeks"][0]

    assert week["health"][SAFETY] == health_of(as_coach, squad)
    assert everything_hidden(week["health"][SAFETY], "overlaps_another_team")


def test_a_member_who_is_not_the_lead_is_refused(client_for, team, member):
    response = team_health(client_for, member, team)
    assert (response.status_code, error_codes(response)) == (403, [(None, "not_team_lead")])


def test_the_lead_of_another_team_is_refused(client_for, team, organisation):
    other_lead = lead_of(TeamFactory(organisation=organisation))
    response = team_health(client_for, other_lead, team)
    assert (response.status_code, error_codes(response)) == (404, [(None, "team_not_found")])


def test_a_coach_is_refused_the_leads_view(client_for, team, organisation):
    coach = CoachAssignmentFactory(organisation=organisation, team=team).coach
    assert team_health(client_for, coach, team).status_code == 404


def test_a_bad_week_is_a_clear_error(client_for, team, lead):
    response = team_health(client_for, lead, team, "from=2026-W11&to=2026-W10")
    assert (response.status_code, error_codes(response)) == (400, [("from", "invalid_range")])


# In a live session


@pytest.fixture
def a_check_in_round(lead, team, member, teammate):
    exercise = check_in()
    session, _ = session_start(lead=lead, team_id=team.pk, exercise_slug=exercise.slug, client_id=uuid.uuid4())
    return session_advance(user=lead, session_id=session.pk, version=session.version)


def test_a_revealed_check_in_shows_how_many_gave_each_score(a_check_in_round, lead, member, teammate):
    session = a_check_in_round
    for person, score in ((lead, 2), (member, 5), (teammate, 5)):
        round_answer(user=person, session_id=session.pk, step=1, kind="checkin", value=score)
    session = round_reveal(user=lead, session_id=session.pk, version=session.version)

    shown_round = round_frame(session=session, step_position=1)["round"]

    assert shown_round["average"] == 4.0
    assert shown_round["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0, "5": 2}


def test_a_check_in_two_answered_shows_no_spread(a_check_in_round, lead, member):
    session = a_check_in_round
    for person in (lead, member):
        round_answer(user=person, session_id=session.pk, step=1, kind="checkin", value=3)
    session = round_reveal(user=lead, session_id=session.pk, version=session.version)
    shown_round = round_frame(session=session, step_position=1)["round"]
    assert (shown_round["average"], shown_round["distribution"]) == (None, None)


def test_an_unrevealed_check_in_shows_no_spread(a_check_in_round, lead, member, teammate):
    session = a_check_in_round
    for person in (lead, member, teammate):
        round_answer(user=person, session_id=session.pk, step=1, kind="checkin", value=3)
    assert round_frame(session=session, step_position=1)["round"]["distribution"] is None

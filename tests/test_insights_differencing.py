"""Differencing attacks on coach insights: for each pair of views a coach may ask for, the attack
an attacker would run (subtract one answer from the other to isolate one person), and that it
recovers nothing: the difference is not the person's real value, or cannot be computed at all.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC), with neighbours 2026-W09 and
2026-W11, and read on 2026-03-20 once those weeks are over and rolled up."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from accounts.factories import OrganisationFactory
from exercises.factories import ExerciseFactory, RunFactory, ThemeFactory
from insights.models import TeamWeek
from insights.services import insights_catch_up, insights_roll_up
from pairs.factories import PairFactory
from pairs.models import Pair
from reflections.factories import ReflectionFactory
from teams.factories import CoachAssignmentFactory, MembershipFactory, TeamFactory
from teams.models import Membership
from tests.test_team_health import SAFETY, answer, check_in

pytestmark = pytest.mark.django_db


# Helpers


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


MONDAY = date(2026, 3, 2)  # 2026-W10
WEEK = "2026-W10"
DURING = utc(2026, 3, 4, 12)
AFTER = utc(2026, 3, 20, 12)
ONE_WEEK = f"from={WEEK}&to={WEEK}"

HIDDEN = {"value": None, "suppressed": "fewer_than_k"}


def at(moment: datetime):
    return time_machine.travel(moment, tick=False)


def team_of(size: int, organisation, **team_fields):
    team = TeamFactory(organisation=organisation, **team_fields)
    return team, [MembershipFactory(team=team).user for _ in range(size)]


def report_moods(people, moods, when=DURING):
    for person, mood in zip(people, moods, strict=True):
        ReflectionFactory(author=person, mood=mood, created_at=when, updated_at=when)


def complete(people, exercise, when=DURING):
    for person in people:
        RunFactory(user=person, exercise=exercise, started_at=when, completed_at=when)


def roll_up(week: date = MONDAY) -> int:
    with at(AFTER):
        return insights_roll_up(week_start=week)


def read(client_for, coach, organisation, query: str = ONE_WEEK) -> dict:
    with at(AFTER):
        response = client_for(coach).get(f"/api/v1/coach/organisations/{organisation.pk}/insights?{query}")
    assert response.status_code == 200, response.content
    return response.json()


def team_week(body: dict, team, week: str = WEEK) -> dict:
    table = next(table for table in body["teams"] if table["id"] == team.pk)
    return next(row for row in table["weeks"] if row["week"] == week)


def organisation_week(body: dict, week: str = WEEK) -> dict:
    return next(row for row in body["organisation_total"]["weeks"] if row["week"] == week)


def value(row: dict, path: str):
    cell = row
    for key in path.split("."):
        cell = cell[key]
    return cell["value"] if isinstance(cell, dict) else cell


def published_sum(rows: list[dict], path: str) -> float:
    return sum(value(row, path) for row in rows if value(row, path) is not None)


def subtract(whole, parts: float):
    """What the attacker gets from `whole - parts`: nothing when the whole is not published."""
    return None if whole is None else whole - parts


def mood_total(row: dict):
    """mood × reporters: the sum of everyone's mood, if both are published."""
    mood, reporters = value(row, "mood"), value(row, "mood_reporters")
    return None if mood is None or reporters is None else mood * reporters


def isolate_mood(bigger: dict, smaller: dict):
    """The attacker's guess of the one person in `bigger` but not in `smaller`."""
    big, small = mood_total(bigger), mood_total(smaller)
    if big is None or small is None:
        return None
    return round(big - small, 1)


def numbers_outside_week_rows(body) -> set[str]:
    """Paths of every number in an answer that is not inside one week's row."""
    found = set()

    def walk(path, node):
        if isinstance(node, bool):
            return
        if isinstance(node, int | float):
            found.add(path)
        elif isinstance(node, dict):
            for key, inner in node.items():
                if not (key == "weeks" and inner and isinstance(inner[0], dict)):
                    walk(f"{path}.{key}" if path else key, inner)
        elif isinstance(node, list):
            for inner in node:
                walk(f"{path}[]", inner)

    walk("", body)
    return found


# Organisation against its teams


@pytest.fixture
def two_published_teams_and_one_of_four(organisation):
    """Alders (6) and Birches (5) are published; Cedars (4) is below k. Everyone reports a mood
    and completes an exercise; the Cedars all feel 1, everyone else 4."""
    curiosity = ExerciseFactory(theme=ThemeFactory(slug="curiosity"))
    alders, alder_people = team_of(6, organisation, name="Alders")
    birches, birch_people = team_of(5, organisation, name="Birches")
    cedars, cedar_people = team_of(4, organisation, name="Cedars")
    report_moods(alder_people + birch_people, [4] * 11)
    report_moods(cedar_people, [1] * 4)
    complete(alder_people + birch_people + cedar_people, curiosity)
    roll_up()
    return {"published": [alders, birches], "small": cedars}


@pytest.mark.parametrize("measure", ["members", "active", "mood_reporters", "completions_by_theme.curiosity"])
def test_the_organisation_minus_its_published_teams_reveals_nothing_of_a_team_of_four(
    client_for, coach, organisation, two_published_teams_and_one_of_four, measure
):
    body = read(client_for, coach, organisation)
    teams = [team_week(body, team) for team in two_published_teams_and_one_of_four["published"]]
    small_team = TeamWeek.objects.get(team=two_published_teams_and_one_of_four["small"])
    assert small_team.members == 4  # the target: every count of the small team is 4

    recovered = subtract(value(organisation_week(body), measure), published_sum(teams, measure))

    assert recovered in (None, 0)
    assert recovered != 4


def test_the_organisation_mood_does_not_give_away_the_mood_of_a_team_of_four(
    client_for, coach, organisation, two_published_teams_and_one_of_four
):
    body = read(client_for, coach, organisation)
    teams = [team_week(body, team) for team in two_published_teams_and_one_of_four["published"]]
    whole = organisation_week(body)

    total = subtract(mood_total(whole), sum(mood_total(team) for team in teams))
    reporters = subtract(value(whole, "mood_reporters"), published_sum(teams, "mood_reporters"))
    recovered = round(total / reporters, 2) if total is not None and reporters else None

    assert recovered is None  # the Cedars' mood, 1.0, cannot be computed


def test_a_theme_done_by_four_in_a_published_team_is_not_recovered_from_the_organisation(
    client_for, coach, organisation
):
    safety = ExerciseFactory(theme=ThemeFactory(slug="safety"))
    alders, alder_people = team_of(6, organisation)
    birches, birch_people = team_of(6, organisation)
    complete(alder_people[:4], safety)  # the target: 4 completions, suppressed
    complete(birch_people, safety)
    roll_up()
    body = read(client_for, coach, organisation)
    assert value(team_week(body, alders), "completions_by_theme.safety") is None

    recovered = subtract(
        value(organisation_week(body), "completions_by_theme.safety"),
        published_sum([team_week(body, birches)], "completions_by_theme.safety"),
    )

    assert recovered == 0


def test_one_team_asked_alone_and_the_whole_organisation_differ_only_by_the_other_published_teams(
    client_for, coach, organisation, two_published_teams_and_one_of_four
):
    alders, birches = two_published_teams_and_one_of_four["published"]
    everyone = read(client_for, coach, organisation)
    alders_alone = read(client_for, coach, organisation, f"{ONE_WEEK}&team={alders.pk}")

    recovered = subtract(value(organisation_week(everyone), "active"), value(organisation_week(alders_alone), "active"))

    assert recovered == value(team_week(everyone, birches), "active") == 5  # Birches, already shown; no Cedars


# Week range against week range


@pytest.fixture
def three_weeks_with_a_quiet_middle(organisation):
    """A team of 6: five active in W09 and W11, only four (the target) in W10."""
    team, people = team_of(6, organisation)
    report_moods(people[:5], [3] * 5, when=DURING - timedelta(weeks=1))
    report_moods(people[:4], [3] * 4, when=DURING)
    report_moods(people[:5], [3] * 5, when=DURING + timedelta(weeks=1))
    for week in (-1, 0, 1):
        roll_up(MONDAY + timedelta(weeks=week))
    return team


def test_a_week_reads_the_same_alone_or_inside_a_longer_range(
    client_for, coach, organisation, three_weeks_with_a_quiet_middle
):
    team = three_weeks_with_a_quiet_middle
    longer = read(client_for, coach, organisation, "from=2026-W09&to=2026-W11")
    for week in ("2026-W09", WEEK, "2026-W11"):
        alone = read(client_for, coach, organisation, f"from={week}&to={week}")
        assert team_week(longer, team, week) == team_week(alone, team, week)
        assert organisation_week(longer, week) == organisation_week(alone, week)


def test_a_range_has_no_total_to_subtract_a_week_from(client_for, coach, organisation, three_weeks_with_a_quiet_middle):
    longer = read(client_for, coach, organisation, "from=2026-W09&to=2026-W11")
    assert numbers_outside_week_rows(longer) == {"organisation.id", "organisation.k", "teams[].id"}


def test_a_longer_range_minus_its_other_weeks_does_not_reveal_the_quiet_week(
    client_for, coach, organisation, three_weeks_with_a_quiet_middle
):
    team = three_weeks_with_a_quiet_middle
    longer = read(client_for, coach, organisation, "from=2026-W09&to=2026-W11")
    shorter = [read(client_for, coach, organisation, f"from={week}&to={week}") for week in ("2026-W09", "2026-W11")]
    longer_weeks = next(table for table in longer["teams"] if table["id"] == team.pk)["weeks"]

    recovered = published_sum(longer_weeks, "active") - sum(
        published_sum([team_week(body, team, week)], "active")
        for body, week in zip(shorter, ("2026-W09", "2026-W11"), strict=True)
    )

    assert recovered == 0
    assert recovered != 4


# Before and after someone joins or leaves


def test_someone_leaving_after_the_week_does_not_change_it(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    report_moods(people, [1, 4, 4, 4, 4, 4])  # the target, people[0], felt 1
    roll_up()
    before = team_week(read(client_for, coach, organisation), team)
    Membership.objects.filter(team=team, user=people[0]).delete()
    with at(AFTER):
        insights_catch_up()
    after = team_week(read(client_for, coach, organisation), team)

    assert after == before
    assert isolate_mood(before, after) == 0
    assert isolate_mood(before, after) != 1


def test_someone_joining_after_the_week_does_not_change_it(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    report_moods(people, [4, 4, 4, 4, 4])
    newcomer = MembershipFactory(team=TeamFactory(organisation=organisation)).user  # in another team for now
    report_moods([newcomer], [1])
    roll_up()
    before = team_week(read(client_for, coach, organisation), team)
    MembershipFactory(team=team, user=newcomer)
    with at(AFTER):
        insights_catch_up()
    after = team_week(read(client_for, coach, organisation), team)

    assert after == before
    assert isolate_mood(after, before) == 0
    assert isolate_mood(after, before) != 1


def test_a_fifth_person_joining_later_does_not_unlock_a_week_of_four(client_for, coach, organisation):
    team, people = team_of(4, organisation)
    report_moods(people, [2, 2, 2, 2])
    roll_up()
    MembershipFactory(team=team)
    with at(AFTER):
        insights_catch_up()
    week = team_week(read(client_for, coach, organisation), team)
    assert (week["members"], week["mood"]["value"]) == (None, None)


def test_the_running_week_is_never_shown(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    report_moods(people, [4] * 6, when=utc(2026, 3, 10, 9))  # 2026-W11, still running below
    with at(utc(2026, 3, 11, 12)):
        insights_catch_up()
        response = client_for(coach).get(
            f"/api/v1/coach/organisations/{organisation.pk}/insights?from=2026-W10&to=2026-W11"
        )
    assert response.json()["weeks"] == [WEEK]
    assert not TeamWeek.objects.filter(week_start=date(2026, 3, 9)).exists()


def test_the_running_week_cannot_be_rolled_up_to_compare_with_later(organisation):
    team_of(6, organisation)
    with at(utc(2026, 3, 11, 12)), pytest.raises(ValueError):
        insights_roll_up(week_start=date(2026, 3, 9))


# Mood with and without one reporter


def a_week_of_five_moods(client_for, *, target_leaves_before_roll_up: bool) -> dict:
    """Five reporters (the target, first, felt 5); the same week in its own organisation."""
    organisation = OrganisationFactory()
    coach = CoachAssignmentFactory(organisation=organisation).coach
    team, people = team_of(6, organisation)
    report_moods(people[:5], [5, 2, 3, 3, 4])
    if target_leaves_before_roll_up:
        Membership.objects.filter(team=team, user=people[0]).delete()
    roll_up()
    return team_week(read(client_for, coach, organisation), team)


def test_with_five_reporters_the_mood_is_shown(client_for):
    week = a_week_of_five_moods(client_for, target_leaves_before_roll_up=False)
    assert (week["mood"]["value"], week["mood_reporters"]["value"]) == (3.4, 5)


def test_one_reporter_less_hides_the_mood_so_the_two_cannot_be_subtracted(client_for):
    with_target = a_week_of_five_moods(client_for, target_leaves_before_roll_up=False)
    without_target = a_week_of_five_moods(client_for, target_leaves_before_roll_up=True)

    assert (without_target["mood"], without_target["mood_reporters"]) == (HIDDEN, HIDDEN)
    assert isolate_mood(with_target, without_target) is None  # the target's 5 is not computable


# A team coach's organisation row


def test_a_team_coachs_organisation_row_covers_only_their_team(client_for, organisation):
    mine, my_people = team_of(5, organisation)
    theirs, their_people = team_of(7, organisation)
    report_moods(my_people, [3] * 5)
    report_moods(their_people, [1] * 7)
    roll_up()
    coach = CoachAssignmentFactory(organisation=organisation, team=mine).coach
    body = read(client_for, coach, organisation)
    whole, my_week = organisation_week(body), team_week(body, mine)

    assert [table["id"] for table in body["teams"]] == [mine.pk]
    for measure in ("members", "active", "mood_reporters"):
        assert subtract(value(whole, measure), value(my_week, measure)) == 0  # nothing of the 7 others
    assert value(whole, "mood") == value(my_week, "mood") == 3


# Two teams that differ by one person


def test_two_published_teams_that_differ_by_one_person_do_not_give_away_that_persons_mood(
    client_for, coach, organisation
):
    """A team and the same team plus one (say, a squad and its whole department): both are at
    least k, but subtracting one from the other would isolate the one extra person."""
    squad, people = team_of(5, organisation, name="Squad")
    department = TeamFactory(organisation=organisation, name="Department")
    for person in people:
        MembershipFactory(team=department, user=person)
    target = MembershipFactory(team=department).user
    report_moods(people, [4] * 5)
    report_moods([target], [1])
    roll_up()
    body = read(client_for, coach, organisation)

    recovered = isolate_mood(team_week(body, department), team_week(body, squad))

    assert recovered is None or abs(recovered - 1) >= 0.5


def test_a_team_made_later_and_rolled_up_for_a_past_week_does_not_unmask_one_person(client_for, coach, organisation):
    """The squad's week was published first; a department made later (the squad plus one) is
    rolled up for that same week afterwards. The earlier figure stays; the later one is held back."""
    squad, people = team_of(5, organisation, name="Squad")
    report_moods(people, [4] * 5)
    roll_up()
    seen_before = read(client_for, coach, organisation)
    department = TeamFactory(organisation=organisation, name="Department")
    for person in people:
        MembershipFactory(team=department, user=person)
    target = MembershipFactory(team=department).user
    report_moods([target], [1])
    with at(AFTER + timedelta(hours=1)):  # the next catch-up run
        insights_roll_up(week_start=MONDAY)
    seen_after = read(client_for, coach, organisation)

    recovered = isolate_mood(team_week(seen_after, department), team_week(seen_before, squad))

    assert recovered is None
    assert team_week(seen_after, squad) == team_week(seen_before, squad)


def test_a_week_before_the_year_2000_is_a_clear_error_not_a_crash(client_for, coach, organisation):
    with at(AFTER):
        response = client_for(coach).get(f"/api/v1/coach/organisations/{organisation.pk}/insights?to=0001-W03")
    assert response.status_code == 400
    assert [error["attr"] for error in response.json()["errors"]] == ["to"]


# Team health: the same attacks, on check-in answers (tests.test_team_health builds them)


def score_total(row: dict, question: str = SAFETY):
    """mean × answers: the sum of every score given, if both are published."""
    health = row["health"][question]
    mean, answers = health["mean"]["value"], health["answers"]["value"]
    return None if mean is None or answers is None else mean * answers


def isolate_score(bigger: dict, smaller: dict):
    """The attacker's guess of the score of the one person in `bigger` but not in `smaller`."""
    big, small = score_total(bigger), score_total(smaller)
    return None if big is None or small is None else round(big - small, 1)


def test_the_organisations_health_minus_its_published_teams_reveals_nothing_of_a_team_of_four(
    client_for, coach, organisation
):
    alders, alder_people = team_of(6, organisation)
    cedars, cedar_people = team_of(4, organisation)
    answer(alders, alder_people, [4] * 6)
    answer(cedars, cedar_people, [1] * 4)  # the target: four people who all answered 1
    roll_up()
    body = read(client_for, coach, organisation)
    teams, whole = [team_week(body, alders)], organisation_week(body)

    for measure in ("answers", "people", "distribution.1"):
        path = f"health.{SAFETY}.{measure}"
        assert subtract(value(whole, path), published_sum(teams, path)) == 0
    assert subtract(score_total(whole), score_total(teams[0])) == 0


def test_a_question_four_answered_in_a_published_team_is_not_recovered_from_the_organisation(
    client_for, coach, organisation
):
    alders, alder_people = team_of(6, organisation)
    birches, birch_people = team_of(6, organisation)
    answer(alders, alder_people[:4], [1] * 4)  # the target: suppressed in a published team
    answer(birches, birch_people, [5] * 6)
    roll_up()
    body = read(client_for, coach, organisation)
    assert value(team_week(body, alders), f"health.{SAFETY}.answers") is None

    recovered = subtract(
        value(organisation_week(body), f"health.{SAFETY}.distribution.1"),
        published_sum([team_week(body, birches)], f"health.{SAFETY}.distribution.1"),
    )

    assert recovered == 0


def test_one_answer_less_hides_the_question_so_the_two_cannot_be_subtracted(client_for):
    weeks = []
    for target_answers in (True, False):
        organisation = OrganisationFactory()
        coach = CoachAssignmentFactory(organisation=organisation).coach
        team, people = team_of(6, organisation)
        answered = people[:5] if target_answers else people[1:5]
        answer(team, answered, [1, 4, 4, 4, 4][-len(answered) :])  # the target, first, answered 1
        roll_up()
        weeks.append(team_week(read(client_for, coach, organisation), team))
    with_target, without_target = weeks

    assert with_target["health"][SAFETY]["people"]["value"] == 5
    assert without_target["health"][SAFETY]["mean"] == HIDDEN
    assert isolate_score(with_target, without_target) is None


def test_someone_leaving_after_the_week_does_not_change_its_health(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    answer(team, people, [1, 4, 4, 4, 4, 4])  # the target, people[0], answered 1
    roll_up()
    before = team_week(read(client_for, coach, organisation), team)
    Membership.objects.filter(team=team, user=people[0]).delete()
    with at(AFTER):
        insights_catch_up()
    after = team_week(read(client_for, coach, organisation), team)

    assert after == before
    assert isolate_score(before, after) == 0


def test_two_teams_that_differ_by_one_person_do_not_give_away_that_persons_score(client_for, coach, organisation):
    squad, people = team_of(5, organisation, name="Squad")
    department = TeamFactory(organisation=organisation, name="Department")
    for person in people:
        MembershipFactory(team=department, user=person)
    target = MembershipFactory(team=department).user
    answer(squad, people, [4] * 5)
    answer(department, [*people, target], [4, 4, 4, 4, 4, 1])
    roll_up()
    body = read(client_for, coach, organisation)

    assert isolate_score(team_week(body, department), team_week(body, squad)) is None


def test_a_lead_sees_no_more_than_the_coach_of_the_team(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
    answer(team, people[:4], [1, 1, 1, 1])
    answer(team, [lead, *people[:4]], [5, 2, 2, 2, 2], exercise=check_in("safe-to-disagree", "Safe to disagree"))
    roll_up()
    with at(AFTER):
        as_lead = client_for(lead).get(f"/api/v1/teams/{team.pk}/health?{ONE_WEEK}").json()["weeks"][0]
    as_coach = team_week(read(client_for, coach, organisation), team)

    assert as_lead["health"] == as_coach["health"]
    assert as_lead["health"][SAFETY]["mean"] == HIDDEN


# Pairs for coaches: the same attacks, on who practised with whom


def test_the_organisations_pairs_minus_its_published_teams_reveal_nothing_of_a_team_of_four(
    client_for, coach, organisation
):
    alders, alder_people = team_of(5, organisation)
    cedars, cedar_people = team_of(4, organisation)
    for a, b in [
        *zip(alder_people, alder_people[1:], strict=False),
        *zip(cedar_people, cedar_people[1:], strict=False),
    ]:
        PairFactory(inviter=a, partner=b, status=Pair.Status.COMPLETED, completed_at=DURING)
    roll_up()
    body = read(client_for, coach, organisation)

    recovered = subtract(
        value(organisation_week(body), "pairs.distinct_pairs"),
        published_sum([team_week(body, alders)], "pairs.distinct_pairs"),
    )

    assert recovered == 0  # the Cedars' 3 pairs are nowhere
    assert value(organisation_week(body), "pairs.share_of_team") == value(
        team_week(body, alders), "pairs.share_of_team"
    )


def test_someone_leaving_after_the_week_does_not_change_its_pairs(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    for a, b in zip(people, people[1:], strict=False):
        PairFactory(inviter=a, partner=b, status=Pair.Status.COMPLETED, completed_at=DURING)
    roll_up()
    before = team_week(read(client_for, coach, organisation), team)
    Membership.objects.filter(team=team, user=people[0]).delete()
    with at(AFTER):
        insights_catch_up()

    assert team_week(read(client_for, coach, organisation), team)["pairs"] == before["pairs"]

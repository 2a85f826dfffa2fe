"""Pairs for coaches: per team and week, how many distinct pairs of its members practised
together and the share of the team in at least one pair, under the insights' anonymity rules.
A pair counts for a team when both people are its members at the rollup.

History is built in ISO week 2026-W10 (Monday 2026-03-02, UTC) and read on 2026-03-20."""

from datetime import timedelta

import pytest

from pairs.factories import PairFactory
from pairs.models import Pair
from teams.models import Membership
from tests.test_team_health import DURING, WEEK, insights, roll_up, shown, team_of

pytestmark = pytest.mark.django_db

HIDDEN = {"value": None, "suppressed": "fewer_than_k"}
HIDDEN_PAIRS = {"distinct_pairs": HIDDEN, "share_of_team": HIDDEN}


def practised(a, b, when=DURING, status=Pair.Status.COMPLETED) -> Pair:
    return PairFactory(inviter=a, partner=b, status=status, completed_at=when if status == "completed" else None)


def pairs_of(body: dict, team) -> dict:
    table = next(table for table in body["teams"] if table["id"] == team.pk)
    return next(row for row in table["weeks"] if row["week"] == WEEK)["pairs"]


def test_a_coach_sees_how_many_pairs_practised_and_the_share_of_the_team_in_one(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    practised(people[0], people[1])
    practised(people[1], people[2])
    practised(people[3], people[4])
    roll_up()
    assert pairs_of(insights(client_for, coach, organisation), team) == {
        "distinct_pairs": shown(3),
        "share_of_team": shown(0.833),
    }


def test_the_same_two_people_practising_twice_are_one_pair(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    practised(people[0], people[1])
    practised(people[1], people[0], when=DURING + timedelta(days=1))
    practised(people[2], people[3])
    practised(people[3], people[4])
    roll_up()
    assert pairs_of(insights(client_for, coach, organisation), team)["distinct_pairs"] == shown(3)


def test_pairs_among_four_people_are_suppressed_never_zero(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    practised(people[0], people[1])
    practised(people[2], people[3])
    roll_up()
    assert pairs_of(insights(client_for, coach, organisation), team) == HIDDEN_PAIRS


def test_a_pair_across_two_teams_counts_for_neither(client_for, coach, organisation):
    alders, alder_people = team_of(5, organisation)
    birches, birch_people = team_of(5, organisation)
    for a, b in zip(alder_people, birch_people, strict=True):
        practised(a, b)
    roll_up()
    body = insights(client_for, coach, organisation)
    assert pairs_of(body, alders)["distinct_pairs"] == pairs_of(body, birches)["distinct_pairs"] == HIDDEN


def test_a_pair_not_completed_that_week_does_not_count(client_for, coach, organisation):
    team, people = team_of(5, organisation)
    practised(people[0], people[1], status=Pair.Status.ACCEPTED)
    practised(people[1], people[2], when=DURING + timedelta(weeks=1))
    practised(people[2], people[3])
    practised(people[3], people[4])
    roll_up()
    assert pairs_of(insights(client_for, coach, organisation), team)["distinct_pairs"] == HIDDEN  # 3 people


def test_a_pair_counts_for_the_team_both_are_in_at_the_roll_up(client_for, coach, organisation):
    team, people = team_of(6, organisation)
    practised(people[0], people[1])
    practised(people[2], people[3])
    practised(people[4], people[5])
    Membership.objects.filter(team=team, user=people[5]).delete()
    roll_up()
    assert pairs_of(insights(client_for, coach, organisation), team) == HIDDEN_PAIRS


def test_the_organisation_row_adds_up_the_published_teams_only(client_for, coach, organisation):
    alders, alder_people = team_of(5, organisation)
    birches, birch_people = team_of(5, organisation)
    for a, b in zip(alder_people, alder_people[1:], strict=False):
        practised(a, b)
    practised(birch_people[0], birch_people[1])  # suppressed: left out of the organisation's row
    roll_up()
    whole = insights(client_for, coach, organisation)["organisation_total"]["weeks"][0]["pairs"]
    assert whole == {"distinct_pairs": shown(4), "share_of_team": shown(1.0)}

"""Today's pick, when it is a pair exercise, suggests a teammate to do it with, so that trust
spreads across the team instead of staying with the same friend."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exercises.factories import ExerciseFactory
from nudges.models import Preferences
from pairs.factories import PairExerciseFactory, PairFactory
from pairs.models import Pair
from teams.factories import MembershipFactory, TeamFactory

pytestmark = pytest.mark.django_db

TODAY = "/api/v1/today"


def suggested(client) -> int | None:
    today = client.get(TODAY).json()
    return today["partner"]["id"] if today["partner"] else None


def paired(a, b, days_ago):
    PairFactory(
        inviter=a, partner=b, status=Pair.Status.COMPLETED, created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_a_solo_pick_suggests_nobody(client_for, member, teammate):
    ExerciseFactory()
    assert client_for(member).get(TODAY).json()["partner"] is None


def test_a_pair_pick_suggests_a_teammate(client_for, member, teammate, colleague):
    PairExerciseFactory()
    today = client_for(member).get(TODAY).json()
    assert today["exercise"]["mode"] == "pair"
    assert today["partner"] == {"id": teammate.pk, "display_name": teammate.display_name}


def test_someone_never_paired_with_comes_before_a_recent_partner(client_for, member, teammate, team):
    PairExerciseFactory()
    newcomer = MembershipFactory(team=team).user
    paired(member, teammate, days_ago=3)
    assert suggested(client_for(member)) == newcomer.pk


def test_among_past_partners_the_one_paired_with_longest_ago_comes_first(client_for, member, teammate, team):
    PairExerciseFactory()
    other = MembershipFactory(team=team).user
    paired(member, teammate, days_ago=3)
    paired(other, member, days_ago=40)  # who invited whom does not matter
    assert suggested(client_for(member)) == other.pk


def test_nobody_who_turned_pair_invitations_off_is_suggested(client_for, member, teammate):
    PairExerciseFactory()
    Preferences.objects.create(user=teammate, pair_invited=False)
    assert suggested(client_for(member)) is None


def test_a_declined_invitation_does_not_count_as_having_paired(client_for, member, teammate, team):
    PairExerciseFactory()
    other = MembershipFactory(team=team).user
    paired(member, other, days_ago=1)
    PairFactory(inviter=member, partner=teammate, status=Pair.Status.DECLINED)
    assert suggested(client_for(member)) == teammate.pk


# Across teams that work together, for people who opted in


@pytest.fixture
def neighbour(team, organisation):
    """Someone of a team that works with mine, who opted in to pairs across teams."""
    other_team = TeamFactory(organisation=organisation)
    team.works_with.add(other_team)
    return MembershipFactory(team=other_team, user__pairs_across_teams=True).user


def test_someone_who_opted_in_may_be_offered_a_partner_from_a_team_we_work_with(client_for, member, neighbour):
    PairExerciseFactory()
    member.pairs_across_teams = True
    member.save()
    assert suggested(client_for(member)) == neighbour.pk


def test_without_opting_in_only_teammates_are_offered(client_for, member, neighbour):
    PairExerciseFactory()
    assert suggested(client_for(member)) is None


def test_nobody_is_offered_across_teams_who_did_not_opt_in_too(client_for, member, neighbour):
    PairExerciseFactory()
    neighbour.pairs_across_teams = False
    neighbour.save()
    member.pairs_across_teams = True
    member.save()
    assert suggested(client_for(member)) is None


def test_a_team_we_do_not_work_with_is_never_offered(client_for, member, colleague):
    PairExerciseFactory()
    member.pairs_across_teams = True
    member.save()
    colleague.pairs_across_teams = True
    colleague.save()
    assert suggested(client_for(member)) is None


def test_among_people_never_paired_with_a_teammate_comes_first(client_for, member, teammate, neighbour):
    PairExerciseFactory()
    member.pairs_across_teams = True
    member.save()
    assert suggested(client_for(member)) == teammate.pk


def test_opting_in_is_part_of_the_profile(client_for, member):
    client = client_for(member)
    assert client.get("/api/v1/me").json()["pairs_across_teams"] is False
    assert client.patch("/api/v1/me", {"pairs_across_teams": True}, format="json").json()["pairs_across_teams"] is True

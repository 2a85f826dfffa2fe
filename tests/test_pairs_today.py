"""Today's pick, when it is a pair exercise, suggests a teammate to do it with, so that trust
spreads across the team instead of staying with the same friend."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exercises.factories import ExerciseFactory
from nudges.models import Preferences
from pairs.factories import PairExerciseFactory, PairFactory
from pairs.models import Pair
from teams.factories import MembershipFactory

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

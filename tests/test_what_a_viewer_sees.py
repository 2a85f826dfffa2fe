"""What depends on who is looking is decided in the domain, one function per thing shown; the
HTTP door only serialises it (its own tests: test_acknowledgements.py, test_teams.py)."""

import pytest
from django.utils import timezone

from acknowledgements.factories import AcknowledgementFactory, ReactionFactory
from acknowledgements.models import Acknowledgement, Reaction
from acknowledgements.presenters import acknowledgement_view
from acknowledgements.selectors import acknowledgement_for
from teams.factories import MembershipFactory
from teams.models import Membership
from teams.presenters import my_team_view, team_view
from teams.selectors import memberships_for_user, team_for_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def read_acknowledgement(member, teammate, team):
    acknowledgement = AcknowledgementFactory(
        sender=member, recipient=teammate, visibility=Acknowledgement.Visibility.TEAM, read_at=timezone.now()
    )
    return acknowledgement


def seen_by(viewer, acknowledgement) -> dict:
    return acknowledgement_view(
        acknowledgement=acknowledgement_for(user=viewer, acknowledgement_id=acknowledgement.pk), viewer=viewer
    )


def test_only_the_sender_sees_the_client_id(read_acknowledgement, member, teammate, lead):
    assert seen_by(member, read_acknowledgement)["client_id"] == read_acknowledgement.client_id
    assert seen_by(teammate, read_acknowledgement)["client_id"] is None
    assert seen_by(lead, read_acknowledgement)["client_id"] is None


def test_only_the_recipient_sees_when_it_was_read(read_acknowledgement, member, teammate, lead):
    assert seen_by(teammate, read_acknowledgement)["read_at"] == read_acknowledgement.read_at
    assert seen_by(member, read_acknowledgement)["read_at"] is None
    assert seen_by(lead, read_acknowledgement)["read_at"] is None


def test_everyone_sees_the_counts_and_only_their_own_reactions(read_acknowledgement, member, teammate, lead):
    ReactionFactory(acknowledgement=read_acknowledgement, user=lead, kind=Reaction.Kind.CLAP)
    ReactionFactory(acknowledgement=read_acknowledgement, user=teammate, kind=Reaction.Kind.THANKS)
    for viewer in (member, teammate, lead):
        assert seen_by(viewer, read_acknowledgement)["reactions"] == {"heart": 0, "clap": 1, "inspired": 0, "thanks": 1}
    assert seen_by(lead, read_acknowledgement)["my_reactions"] == ["clap"]
    assert seen_by(member, read_acknowledgement)["my_reactions"] == []


def test_a_lead_sees_the_join_code_of_their_team(lead, team):
    assert team_view(team=team_for_member(user=lead, team_id=team.pk), viewer=lead)["join_code"] == team.join_code
    [mine] = memberships_for_user(user=lead)
    assert my_team_view(membership=mine)["join_code"] == team.join_code


def test_a_member_does_not_see_the_join_code(member, team):
    assert team_view(team=team_for_member(user=member, team_id=team.pk), viewer=member)["join_code"] is None
    [mine] = memberships_for_user(user=member)
    assert my_team_view(membership=mine)["join_code"] is None


def test_a_member_sees_their_own_role_and_everyones_names_never_emails(member, lead, team):
    seen = team_view(team=team_for_member(user=member, team_id=team.pk), viewer=member)
    assert seen["my_role"] == Membership.Role.MEMBER
    assert {person["id"]: person["role"] for person in seen["members"]} == {
        member.pk: Membership.Role.MEMBER,
        lead.pk: Membership.Role.LEAD,
    }
    assert all(set(person) == {"id", "display_name", "role"} for person in seen["members"])


def test_the_member_count_is_the_teams(member, team):
    MembershipFactory(team=team)
    [mine] = memberships_for_user(user=member)
    assert my_team_view(membership=mine)["member_count"] == 2

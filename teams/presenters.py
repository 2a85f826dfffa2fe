"""A team as one of its members sees it: leads see the join code (they invite people with it),
members do not hand it around."""

from accounts.models import User
from accounts.presenters import public_person
from teams.models import Membership, Team


def _join_code_for(membership: Membership) -> str | None:
    return membership.team.join_code if membership.role == Membership.Role.LEAD else None


def my_team_view(*, membership: Membership) -> dict:
    """One of my teams, with my role in it (teams.selectors.memberships_for_user counts members)."""
    return {
        "id": membership.team.pk,
        "name": membership.team.name,
        "role": membership.role,
        "member_count": membership.member_count,
        "join_code": _join_code_for(membership),
    }


def team_view(*, team: Team, viewer: User) -> dict:
    """A team with its members (teams.selectors.team_for_member prefetches them)."""
    memberships = list(team.memberships.all())
    mine = next(membership for membership in memberships if membership.user_id == viewer.pk)
    return {
        "id": team.pk,
        "name": team.name,
        "my_role": mine.role,
        "join_code": _join_code_for(mine),
        "members_facilitate": team.members_facilitate,
        "members": [{**public_person(membership.user), "role": membership.role} for membership in memberships],
    }

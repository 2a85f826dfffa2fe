"""Writes about teams."""

from django.db import transaction

from accounts.models import User
from common.errors import NotAllowed, NotFound
from teams.models import JOIN_CODE_ALPHABET, CoachAssignment, Membership, Team


@transaction.atomic
def team_join(*, user: User, code: str) -> Membership:
    """Join a team by its code. Joining twice is harmless; joining another organisation's team
    is refused exactly as an unknown code is, so codes cannot be probed across organisations."""
    normalised = code.strip().upper()
    team = None
    if normalised and all(c in JOIN_CODE_ALPHABET for c in normalised):
        team = Team.objects.select_related("organisation").filter(join_code=normalised).first()
    if team is None or (user.organisation_id and user.organisation_id != team.organisation_id):
        raise NotFound("No team has that code.", code="team_not_found")
    if CoachAssignment.objects.filter(coach=user, organisation_id=team.organisation_id).exists():
        # Coaches see teams anonymised; joining one would show them its people and texts.
        raise NotAllowed("Coaches do not join the teams they coach.", code="coach_cannot_join")
    if user.organisation_id is None:
        user.organisation = team.organisation
        user.save(update_fields=["organisation"])
    membership, _ = Membership.objects.get_or_create(team=team, user=user)
    return membership


@transaction.atomic
def team_settings_update(*, user: User, team_id: int, members_facilitate: bool | None = None) -> Team:
    """A lead changes how the team works. `members_facilitate` shares power: with it on, any
    member may start and facilitate the team's sessions, not only its leads."""
    membership = Membership.objects.filter(team_id=team_id, user=user).first()
    if membership is None:
        raise NotFound("No such team among yours.", code="team_not_found")
    if membership.role != Membership.Role.LEAD:
        raise NotAllowed("Only the team's lead can change its settings.", code="not_team_lead")
    if members_facilitate is not None:
        Team.objects.filter(pk=team_id).update(members_facilitate=members_facilitate)
    return Team.objects.get(pk=team_id)

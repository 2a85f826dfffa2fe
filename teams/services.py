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

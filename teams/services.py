"""Writes about teams."""

from django.db import transaction

from accounts.models import User
from common.errors import NotFound
from teams.models import JOIN_CODE_ALPHABET, Membership, Team


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
    if user.organisation_id is None:
        user.organisation = team.organisation
        user.save(update_fields=["organisation"])
    membership, _ = Membership.objects.get_or_create(team=team, user=user)
    return membership

"""Reads of commitments, always through team membership (and for nudges, one's own)."""

from datetime import date

from django.db.models import QuerySet

from accounts.models import User
from commitments.models import Commitment
from common.errors import NotFound
from teams.selectors import require_member


def commitments_for_team(*, user: User, team_id: int, status: str | None = None) -> QuerySet[Commitment]:
    require_member(user=user, team_id=team_id)
    commitments = Commitment.objects.filter(team_id=team_id).select_related("volunteer").order_by("-created_at", "-pk")
    return commitments.filter(status=status) if status else commitments


def commitment_for_member(*, user: User, commitment_id: int) -> Commitment:
    commitment = (
        Commitment.objects.filter(pk=commitment_id, team__memberships__user=user).select_related("volunteer").first()
    )
    if commitment is None:
        raise NotFound("No such commitment in your teams.", code="commitment_not_found")
    return commitment


def kept_commitments_in_feed(*, team_id: int) -> QuerySet[Commitment]:
    """Commitments kept, each a moment of the team's feed."""
    return Commitment.objects.filter(team_id=team_id, status=Commitment.Status.DONE).select_related("volunteer")


def check_backs_due(*, user: User, day: date) -> list[str]:
    """What this person said they would check back on that day: their open commitments."""
    return list(
        Commitment.objects.filter(volunteer=user, status=Commitment.Status.OPEN, check_back_on=day)
        .order_by("pk")
        .values_list("text", flat=True)
    )


def volunteers_checking_back(*, first: date, last: date) -> QuerySet:
    """Ids of people with an open commitment to check back on between these days."""
    return Commitment.objects.filter(status=Commitment.Status.OPEN, check_back_on__range=(first, last)).values(
        "volunteer_id"
    )

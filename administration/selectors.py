"""Reads about an organisation's administration."""

from django.db.models import QuerySet

from accounts.models import Organisation, User
from administration.models import AuditEntry, OrganisationAdmin
from common.errors import NotAllowed, NotFound


def is_organisation_admin(*, user: User, organisation_id: int) -> bool:
    return OrganisationAdmin.objects.filter(user=user, organisation_id=organisation_id).exists()


def administered_organisations(*, user: User) -> QuerySet[Organisation]:
    return Organisation.objects.filter(admins__user=user).order_by("name", "pk")


def organisation_for_admin(*, user: User, organisation_id: int) -> Organisation:
    """The organisation, for one of its admins. Its other people are told it is not theirs to
    manage (403); anyone else cannot tell it exists (404)."""
    organisation = Organisation.objects.filter(pk=organisation_id).first()
    if organisation is None or user.organisation_id != organisation.pk:
        raise NotFound("No such organisation.", code="organisation_not_found")
    if not is_organisation_admin(user=user, organisation_id=organisation.pk):
        raise NotAllowed("Only the organisation's admins manage it.", code="not_organisation_admin")
    return organisation


def audit_entries(*, organisation: Organisation) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(organisation=organisation).select_related("actor").order_by("-at", "-id")

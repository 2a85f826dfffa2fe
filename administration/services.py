"""Writes about an organisation's administration: the audit log, and who its admins are."""

from django.db import transaction

from accounts.models import User
from administration.models import AuditEntry, OrganisationAdmin
from administration.selectors import organisation_for_admin
from common.errors import Conflict, NotFound


def audit_record(*, organisation_id: int, actor: User | None, action: str, subject: str, detail: dict | None = None):
    """Record one action on the organisation's set-up, in the caller's transaction (so an action
    that fails records nothing)."""
    return AuditEntry.objects.create(
        organisation_id=organisation_id, actor=actor, action=action, subject=subject[:300], detail=detail or {}
    )


@transaction.atomic
def organisation_admin_appoint(*, by: User, organisation_id: int, email: str) -> OrganisationAdmin:
    """An admin makes someone of the organisation an admin too."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    person = User.objects.filter(email__iexact=email.strip(), organisation=organisation, is_active=True).first()
    if person is None:
        raise NotFound("Nobody of the organisation has that email.", code="person_not_found", field="email")
    admin, created = OrganisationAdmin.objects.get_or_create(organisation=organisation, user=person)
    if created:
        audit_record(organisation_id=organisation.pk, actor=by, action="admin.appointed", subject=person.email)
    return admin


@transaction.atomic
def organisation_admin_remove(*, by: User, organisation_id: int, user_id: int) -> None:
    """An admin steps someone down (themselves included), never the last one: an organisation
    always has someone to manage it."""
    organisation = organisation_for_admin(user=by, organisation_id=organisation_id)
    admins = OrganisationAdmin.objects.select_for_update().filter(organisation=organisation)
    admin = admins.filter(user_id=user_id).select_related("user").first()
    if admin is None:
        raise NotFound("No such admin of the organisation.", code="admin_not_found")
    if admins.count() == 1:
        raise Conflict("The organisation's last admin cannot be removed.", code="last_admin")
    admin.delete()
    audit_record(organisation_id=organisation.pk, actor=by, action="admin.removed", subject=admin.user.email)

"""Our staff's view of organisations' administration: who their admins are, and the audit log,
read only (it is the organisations' record, not ours to edit)."""

from django.contrib import admin

from administration.models import AuditEntry, OrganisationAdmin
from common.admin import ReadOnlyAdmin


@admin.register(OrganisationAdmin)
class OrganisationAdminAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user_id", "appointed_at"]
    list_select_related = ["organisation"]
    raw_id_fields = ["user"]


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ["at", "organisation", "action", "actor_id"]  # the subject (a name, an email) on its page
    list_filter = ["action"]
    list_select_related = ["organisation"]
    deletable = False

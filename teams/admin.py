from django.contrib import admin

from common.admin import ReadOnlyAdmin
from teams.models import CoachAssignment, Invitation, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    raw_id_fields = ["user"]  # an id, not a list of everyone's names


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "join_code", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name"]
    filter_horizontal = ["works_with"]
    inlines = [MembershipInline]


@admin.register(CoachAssignment)
class CoachAssignmentAdmin(admin.ModelAdmin):
    list_display = ["coach_id", "organisation", "team", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["organisation", "team"]
    raw_id_fields = ["coach"]
    actions = None  # its checkboxes would name every coach; one is removed from its own page


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    """Read-only: invitations are sent and revoked through the API, which audits them."""

    list_display = ["email", "team", "role", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_select_related = ["team"]
    search_fields = ["email"]
    exclude = ["token_hash"]

from django.contrib import admin

from teams.models import CoachAssignment, Membership, Team


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


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
    list_display = ["coach", "organisation", "team", "created_at"]
    list_filter = ["organisation"]
    list_select_related = ["coach", "organisation", "team"]
    autocomplete_fields = ["coach"]

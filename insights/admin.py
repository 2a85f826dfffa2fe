from django.contrib import admin

from insights.models import InsightView


@admin.register(InsightView)
class InsightViewAdmin(admin.ModelAdmin):
    """The audit log: every coach look at insights. Read-only."""

    list_display = ["at", "coach_id", "organisation", "team", "weeks", "format"]
    list_filter = ["organisation", "format"]
    list_select_related = ["organisation", "team"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

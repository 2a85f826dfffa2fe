from django.contrib import admin

from common.admin import ReadOnlyAdmin
from insights.models import InsightView


@admin.register(InsightView)
class InsightViewAdmin(ReadOnlyAdmin):
    """The audit log: every coach look at insights. Read-only."""

    list_display = ["at", "coach_id", "organisation", "team", "weeks", "format"]
    list_filter = ["organisation", "format"]
    list_select_related = ["organisation", "team"]
    deletable = False

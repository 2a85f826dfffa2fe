from django.contrib import admin

from common.admin import ReadOnlyAdmin
from pairs.models import Pair


@admin.register(Pair)
class PairAdmin(ReadOnlyAdmin):
    """Who was paired with whom and where it stands, for support: read-only, and never what
    the two wrote to each other (no answers, no note)."""

    list_display = ["pk", "inviter_id", "partner_id", "exercise", "status", "created_at", "completed_at"]
    list_filter = ["status"]
    list_select_related = ["exercise"]
    fields = ["inviter", "partner", "exercise", "status", "created_at", "expires_at", "responded_at", "completed_at"]
    readonly_fields = fields

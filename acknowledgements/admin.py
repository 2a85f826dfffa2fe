"""Only reported acknowledgements reach the admin: the person who reported one asked for it
to be looked at. Private acknowledgements are otherwise the recipient's alone."""

from django.contrib import admin

from acknowledgements.models import Report
from acknowledgements.services import reports_resolve


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["acknowledgement_id", "organisation", "created_at", "resolved_at"]
    list_filter = ["resolved_at"]
    list_select_related = ["acknowledgement__organisation"]
    readonly_fields = ["reported_message", "behaviour", "reason", "created_at", "resolved_at"]
    fields = readonly_fields
    actions = ["restore_to_feed", "keep_hidden"]

    @admin.display(description="Organisation")
    def organisation(self, report):
        return report.acknowledgement.organisation

    @admin.display(description="Message")
    def reported_message(self, report):
        return report.acknowledgement.message

    @admin.display(description="Behaviour")
    def behaviour(self, report):
        return report.acknowledgement.get_behaviour_display()

    def has_add_permission(self, request):
        return False

    @admin.action(description="Restore to the team feed and close the reports")
    def restore_to_feed(self, request, queryset):
        reports_resolve(report_ids=list(queryset.values_list("pk", flat=True)), restore_to_feed=True)

    @admin.action(description="Keep off the feed and close the reports")
    def keep_hidden(self, request, queryset):
        reports_resolve(report_ids=list(queryset.values_list("pk", flat=True)), restore_to_feed=False)

"""What the Django admin's read-only pages share."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record made elsewhere (by the product, or by an organisation): staff read it here and
    never add or change it. A record that must outlive staff's clean-ups (an audit log) is not
    deletable either."""

    deletable = True

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.deletable and super().has_delete_permission(request, obj)

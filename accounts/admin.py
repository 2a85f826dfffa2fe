from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Organisation, OrganisationDomain, User

# simplejwt's pages list everyone's refresh tokens, whole (live credentials) and by name: nothing
# an operator needs. Signing a person out everywhere is the API's (accounts.services).
admin.site.unregister([OutstandingToken, BlacklistedToken])


class DomainInline(admin.TabularInline):
    model = OrganisationDomain
    extra = 1


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "allow_domain_signup", "anonymity_threshold", "created_at"]
    search_fields = ["name"]
    inlines = [DomainInline]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """The list shows what an operator needs to find an account and its access, found by email:
    no names, nothing anyone wrote."""

    ordering = ["email"]
    list_display = ["email", "organisation", "is_active", "is_staff", "date_joined"]
    list_filter = ["organisation", "is_active", "is_staff"]
    list_select_related = ["organisation"]
    search_fields = ["email"]
    # No bulk actions: an account is erased through privacy's erasure, which ends its sessions
    # properly, not deleted from a list (whose checkboxes would name everyone, too).
    actions = None
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["display_name", "organisation", "time_zone", "locale", "firebase_uid"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "organisation", "password1", "password2"]})]

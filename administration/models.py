"""An organisation's own administration: who administers it (organisation admins, the customer's
HR partner or people lead, distinct from our staff) and the audit log of what was done to it."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation


class OrganisationAdmin(models.Model):
    """Someone of the organisation who manages it: its domains and sign-up policy, teams,
    memberships, coaches, k and themes; never anyone's activity or words."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="admins")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="administered")
    appointed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "user"], name="one_admin_row_per_person")]

    def __str__(self) -> str:
        return f"admin {self.user_id} of {self.organisation_id}"


class AuditEntry(models.Model):
    """One action taken on the organisation's set-up, by its admins or its teams' leads: who, what,
    on what, when. Never anything of anyone's activity; an erased actor leaves the entry nameless."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="audit_entries")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=64)
    subject = models.CharField(max_length=300, help_text="what it was done to, for people: a team's name, an email")
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["organisation", "-at", "-id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.action} {self.subject}"

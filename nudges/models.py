"""Nudges: a few timely pushes through Firebase Cloud Messaging, also kept in the in-app inbox.

A nudge is planned as a row with a unique dedupe key (person, kind, and the local date or the
cause), so planning twice, or two planners at once, never makes two. Just before it is sent
it is checked again against the person's preferences, quiet hours, daily cap and snooze. Every
attempt to reach a device is recorded.
"""

from datetime import time

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    DAILY_EXERCISE = "daily_exercise"
    REFLECT_AFTER = "reflect_after"
    SEEN = "seen"
    SESSION_STARTED = "session_started"
    WEEKLY_LOOKBACK = "weekly_lookback"
    RECONNECT = "reconnect"
    ORPHAN_CLAIMED = "orphan_claimed"
    ORPHAN_REMINDER = "orphan_reminder"
    PAIR_INVITED = "pair_invited"
    AGREEMENT_REVIEW = "agreement_review"
    COMMITMENT_CHECK_BACK = "commitment_check_back"
    CLAIM_HANDED_BACK = "claim_handed_back"
    TEAM_QUIET = "team_quiet"
    ORPHAN_UNCLAIMED = "orphan_unclaimed"


class Device(models.Model):
    """A phone (or browser) that can receive pushes: an FCM registration token."""

    class Platform(models.TextChoices):
        IOS = "ios"
        ANDROID = "android"
        WEB = "web"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices")
    token = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=7, choices=Platform.choices)
    app_version = models.CharField(max_length=32, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    active = models.BooleanField(default=True)
    deactivated_reason = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When its owner's app last registered it (apps do at every launch), or it was pruned: how
    # long it has been idle, which decides whether another organisation's account may take it.
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.platform} device of {self.user_id}"


class Preferences(models.Model):
    """How and when a person wants to be nudged. Times are local, in the profile's time zone."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="nudge_preferences"
    )
    daily_exercise = models.BooleanField(default=True)
    reflect_after = models.BooleanField(default=True)
    seen = models.BooleanField(default=True)
    session_started = models.BooleanField(default=True)
    weekly_lookback = models.BooleanField(default=True)
    reconnect = models.BooleanField(default=True)
    orphan_claimed = models.BooleanField(default=True)
    orphan_reminder = models.BooleanField(default=True)
    pair_invited = models.BooleanField(default=True)
    agreement_review = models.BooleanField(default=True)
    commitment_check_back = models.BooleanField(default=True)
    claim_handed_back = models.BooleanField(default=True)
    team_quiet = models.BooleanField(default=True)
    orphan_unclaimed = models.BooleanField(default=True)
    daily_exercise_at = models.TimeField(default=time(9, 0))
    quiet_start = models.TimeField(default=time(21, 0))
    quiet_end = models.TimeField(default=time(8, 0))
    daily_cap = models.PositiveSmallIntegerField(default=2, validators=[MinValueValidator(1), MaxValueValidator(5)])
    snoozed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "preferences"


class Nudge(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        SKIPPED = "skipped"
        FAILED = "failed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="nudges")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=120, unique=True)
    # The local date a daily or weekly nudge is for, so the planner can tell what it has done.
    planned_for = models.DateField(null=True, blank=True)
    context = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    # A worker holds a nudge while sending it; if it dies, the lease runs out and another
    # worker picks the nudge up again (devices that already got it are not sent it twice).
    # Each claim writes a fresh token: a worker sends and records only while the token is still
    # its own, so a batch that outlived its lease never doubles what the next worker does.
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    reason = models.CharField(max_length=60, blank=True, help_text="Why it was skipped or failed.")
    title = models.CharField(max_length=120, blank=True)
    body = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # What a claim reads, in the order it takes them: a backlog is never sorted whole.
            models.Index(fields=["due_at", "id"], condition=models.Q(status="pending"), name="nudge_pending_due"),
            models.Index(fields=["user", "kind", "planned_for"]),
            models.Index(fields=["user", "status", "sent_at"]),
            models.Index(fields=["lease_token"], condition=models.Q(lease_token__isnull=False), name="nudge_leased"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} nudge for {self.user_id} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at putting one nudge on one device, whatever came of it."""

    class Outcome(models.TextChoices):
        SENT = "sent"
        RETRY = "retry"
        DEAD_TOKEN = "dead_token"
        FAILED = "failed"

    nudge = models.ForeignKey(Nudge, on_delete=models.CASCADE, related_name="attempts_made")
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    error_code = models.CharField(max_length=40, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    retry_after = models.PositiveIntegerField(null=True, blank=True, help_text="Seconds FCM asked us to wait.")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["nudge", "device"], condition=models.Q(outcome="sent"), name="one_success_per_nudge_and_device"
            )
        ]

"""Two colleagues doing a pair exercise together: the invitation, and the run of it they share.

One row is the whole pair, from invitation to completion, so what both see (live in the room
or each in their own time over HTTP) is read from one place and survives reconnects, restarts
and several server processes.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from exercises.models import Exercise, Run

NOTE_MAX_LENGTH = 140
ANSWER_MAX_LENGTH = 1000


class Pair(models.Model):
    class Status(models.TextChoices):
        INVITED = "invited"
        ACCEPTED = "accepted"
        COMPLETED = "completed"
        DECLINED = "declined"
        CANCELLED = "cancelled"

    inviter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    partner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    client_id = models.UUIDField(default=uuid.uuid4)
    # An invitation still `invited` past expires_at is expired: computed on read, never stored.
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.INVITED)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # Agreed by the partner when accepting: after this long from a step's first answer, either
    # may reveal what is there. Null: answers show only once both answered.
    reveal_after_seconds = models.PositiveIntegerField(null=True, blank=True)
    step = models.PositiveSmallIntegerField(default=0, help_text="1..n once under way; 0 before the first step.")
    revealed_steps = models.JSONField(default=list, blank=True)
    # Bumped by every command that moves the pair on: two taps against one version apply once.
    version = models.PositiveIntegerField(default=1)
    present_key = models.CharField(max_length=100, blank=True, default="")
    # Each person's run of the exercise, started when the pair is accepted, completed with it.
    inviter_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    partner_run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["inviter", "client_id"], name="pair_client_id_unique"),
            models.CheckConstraint(condition=~models.Q(inviter=models.F("partner")), name="pair_of_two_people"),
        ]
        indexes = [
            models.Index(fields=["inviter", "status"]),
            models.Index(fields=["partner", "status"]),
            models.Index(fields=["status", "completed_at"]),
        ]

    def __str__(self) -> str:
        return f"pair {self.pk} ({self.status})"


class PairAnswer(models.Model):
    """One of the two people's answer to a share step; only the two of them ever read it."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="answers")
    step = models.PositiveSmallIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=ANSWER_MAX_LENGTH)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["pair", "step", "author"], name="one_pair_answer_per_step")]


class PairConnection(models.Model):
    """One open (or recently closed) WebSocket of one of the two in their pair's room; presence
    follows the rules of group sessions' connections (group_sessions.selectors.alive)."""

    pair = models.ForeignKey(Pair, on_delete=models.CASCADE, related_name="connections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["pair", "user"])]

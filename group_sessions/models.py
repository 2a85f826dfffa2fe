"""Live group exercises: a lead starts one for the team and a facilitator steps everyone
through it. All state lives here, in the database, so it survives reconnects, restarts and
being served by several processes at once."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from exercises.models import Exercise
from teams.models import Team

SHARE_MAX_LENGTH = 1000


class GroupSession(models.Model):
    class Phase(models.TextChoices):
        LOBBY = "lobby"
        STEP = "step"
        ENDED = "ended"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="group_sessions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    # Null only after the person erased their account (their live sessions end first).
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    client_id = models.UUIDField(default=uuid.uuid4)
    phase = models.CharField(max_length=5, choices=Phase.choices, default=Phase.LOBBY)
    step = models.PositiveSmallIntegerField(default=0, help_text="1..n while in a step; 0 in the lobby.")
    deadline = models.DateTimeField(null=True, blank=True)
    revealed_steps = models.JSONField(default=list)
    # Bumped by every facilitator command: two commands sent against the same version cannot
    # both apply (compare-and-set), so a double tap advances once.
    version = models.PositiveIntegerField(default=1)
    # The present people as last announced, "3,8,12": whoever changes it announces the change.
    present_key = models.CharField(max_length=2000, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team"], condition=~models.Q(phase="ended"), name="one_live_session_per_team"
            ),
            models.UniqueConstraint(fields=["started_by", "client_id"], name="group_session_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"session {self.pk} of {self.team_id} ({self.phase})"


class Connection(models.Model):
    """One open (or recently closed) WebSocket of a person in a session's room.

    Present means: a connection seen within the stale window and not closed, or closed less
    than the grace period ago, so a flaky network does not make someone flicker away.
    Everyone who ever connected is a participant of the session.
    """

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="connections")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=200, unique=True)
    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["session", "user"])]


class Share(models.Model):
    """One person's answer to a round: text for a share step, 1-5 for a check-in.

    The author is always stored (moderation, erasure) but never shown to others when anonymous.
    """

    session = models.ForeignKey(GroupSession, on_delete=models.CASCADE, related_name="shares")
    step = models.PositiveSmallIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=SHARE_MAX_LENGTH, blank=True)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    anonymous = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "step", "author"], name="one_share_per_round")]

"""Live group exercises: a lead starts one for the team (or schedules it, once or as a series)
and a facilitator steps everyone through it. All state lives here, in the database, so it
survives reconnects, restarts and being served by several processes at once."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac

from exercises.models import Exercise
from teams.models import Team

SHARE_MAX_LENGTH = 1000
SHARE_REF_SALT = "humble.group_sessions.share_ref"


class SessionSeries(models.Model):
    """A session scheduled ahead, once or repeating. Each occurrence is a GroupSession waiting in
    the `scheduled` phase; the worker opens it when its time comes and, for a repeating series,
    schedules the next one. The calendar feed shows the series itself (RRULE)."""

    class Repeat(models.TextChoices):
        NEVER = "never"
        WEEKLY = "weekly"
        FORTNIGHTLY = "fortnightly"

    WEEKS_BETWEEN = {Repeat.WEEKLY: 1, Repeat.FORTNIGHTLY: 2}

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="session_series")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    # Null only after the person erased their account; occurrences then open with nobody
    # facilitating until a lead or member takes over (see services.scheduled_sessions_open).
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    starts_at = models.DateTimeField(help_text="The first occurrence.")
    repeat = models.CharField(max_length=11, choices=Repeat.choices, default=Repeat.NEVER)
    # The calendar event's UID: it never changes (calendars match updates on it) and, unlike the
    # primary key, tells a calendar server nothing about how many series there are.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.exercise_id} for {self.team_id} from {self.starts_at:%Y-%m-%d %H:%M} ({self.repeat})"


class GroupSession(models.Model):
    class Phase(models.TextChoices):
        SCHEDULED = "scheduled"
        LOBBY = "lobby"
        STEP = "step"
        ENDED = "ended"
        CANCELLED = "cancelled"
        # Its time came while the team was in another session, and it could not open in time.
        MISSED = "missed"

    LIVE_PHASES = (Phase.LOBBY, Phase.STEP)

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="group_sessions")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="+")
    # Null only after the person erased their account (their live sessions end first).
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    facilitator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    client_id = models.UUIDField(default=uuid.uuid4)
    phase = models.CharField(max_length=9, choices=Phase.choices, default=Phase.LOBBY)
    series = models.ForeignKey(
        SessionSeries, null=True, blank=True, on_delete=models.CASCADE, related_name="occurrences"
    )
    starts_at = models.DateTimeField(null=True, blank=True, help_text="When a scheduled session opens.")
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
                fields=["team"], condition=models.Q(phase__in=["lobby", "step"]), name="one_live_session_per_team"
            ),
            # The worker makes each next occurrence once, however many workers race to.
            models.UniqueConstraint(fields=["series", "starts_at"], name="one_occurrence_per_time"),
            models.UniqueConstraint(fields=["started_by", "client_id"], name="group_session_client_id_unique"),
        ]
        indexes = [models.Index(fields=["phase", "starts_at"], name="scheduled_sessions_due")]

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

    @property
    def ref(self) -> str:
        """How the room names a revealed share (`share` in its commands): opaque, because ids
        follow the order of answering and would tell who wrote an anonymous share."""
        return salted_hmac(SHARE_REF_SALT, f"{self.session_id}:{self.pk}").hexdigest()[:20]


class CalendarFeed(models.Model):
    """A person's secret calendar address (GET /calendar/{secret}.ics): whoever holds it sees the
    scheduled sessions of that person's teams, so only its SHA-256 is stored, and resetting it
    (a new row) makes the old address stop working."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    secret_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

"""A team's chat channel (Slack or Microsoft Teams, through an incoming webhook) and the post
on its way there.

The webhook address is a credential (whoever holds it posts in the channel), so it is kept
encrypted (chat.webhooks) and shown only masked. The channel remembers how far into the team's
moments it has got (its marks), so each moment is taken into one post only.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team


class Channel(models.Model):
    class Kind(models.TextChoices):
        SLACK = "slack"
        TEAMS = "teams"
        # Logs each post instead of sending it: the demo's channel, and a developer's.
        CONSOLE = "console"

    class Status(models.TextChoices):
        ACTIVE = "active"
        # Posts stopped: refused by the chat service, or failed too often in a row.
        FAILING = "failing"

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="chat_channel")
    kind = models.CharField(max_length=7, choices=Kind.choices)
    url_ciphertext = models.TextField(blank=True, help_text="The webhook address, encrypted (empty for console).")
    url_hint = models.CharField(max_length=120, blank=True, help_text="The address masked, as leads see it.")
    connected_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    connected_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.ACTIVE)
    failure = models.CharField(max_length=300, blank=True, help_text="Why posts stopped, for people.")
    last_posted_at = models.DateTimeField(null=True, blank=True)
    # The last feed item (its time, source and id: feed.selectors.Position) and the last session
    # opening taken into a post. Moments up to them are never taken again.
    feed_mark_at = models.DateTimeField(default=timezone.now)
    feed_mark_source = models.PositiveSmallIntegerField(default=0)
    feed_mark_id = models.BigIntegerField(default=0)
    sessions_mark_at = models.DateTimeField(default=timezone.now)
    sessions_mark_id = models.BigIntegerField(default=0)
    # When the worker last looked at it: the least recently visited go first.
    visited_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "visited_at"])]

    def __str__(self) -> str:
        return f"{self.kind} channel of {self.team_id} ({self.status})"


class Post(models.Model):
    """One message on its way to a channel: several moments at once. A channel has at most one,
    so posts arrive in order; it is deleted once settled (sent, given up, or its outcome unknown).
    """

    class Status(models.TextChoices):
        PENDING = "pending"  # to be sent at due_at (again, after a failure that proved it did not arrive)
        SENDING = "sending"  # a worker is sending it, until sending_until

    channel = models.OneToOneField(Channel, on_delete=models.CASCADE, related_name="post")
    # Exactly what goes out, in the channel's format: a retry sends the very same words.
    body = models.JSONField()
    moments = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.PENDING)
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=120, blank=True)
    due_at = models.DateTimeField(default=timezone.now)
    sending_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"post of {self.moments} to channel {self.channel_id} ({self.status})"

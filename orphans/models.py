""" "Leave it with me": problems nobody owns, posted to a team, claimed by a teammate, done.

Initiative spreads by being seen, so every step is kept as an activity the team feed shows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team

TITLE_MAX_LENGTH = 140
DETAIL_MAX_LENGTH = 2000
NOTE_MAX_LENGTH = 1000


class Orphan(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLAIMED = "claimed"
        DONE = "done"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="orphans")
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=TITLE_MAX_LENGTH)
    detail = models.CharField(max_length=DETAIL_MAX_LENGTH, blank=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.OPEN)
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When the claimant said they would check back, if they did: cleared when the claim ends.
    check_back_on = models.DateField(null=True, blank=True)
    # When it was first claimed, and by whom: the team's "time to claim" survives releases.
    first_claimed_at = models.DateTimeField(null=True, blank=True)
    first_claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    done_note = models.CharField(max_length=NOTE_MAX_LENGTH, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now)
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)
    # The live session it came from (a revealed share made an orphan): what that session produced.
    session = models.ForeignKey(
        "group_sessions.GroupSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["posted_by", "client_id"], name="orphan_client_id_unique")]
        indexes = [models.Index(fields=["team", "status"])]

    def __str__(self) -> str:
        return f"orphan {self.pk} ({self.status})"


class Activity(models.Model):
    """Something that happened to an orphan, in the order it happened: the team feed's items."""

    class Kind(models.TextChoices):
        POSTED = "posted"
        CLAIMED = "claimed"
        RELEASED = "released"
        DONE = "done"
        REOPENED = "reopened"

    orphan = models.ForeignKey(Orphan, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "activities"
        indexes = [models.Index(fields=["orphan", "created_at"])]

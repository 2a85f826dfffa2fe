""" "I'll do it by Friday": a commitment someone takes on for their team.

Accountability is taken, not given: the volunteer is always the one who made it. It may carry
a date to check back on; it ends done (the team sees it kept) or dropped (said out loud rather
than left to rot).
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team

TEXT_MAX_LENGTH = 500


class Commitment(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        DONE = "done"
        DROPPED = "dropped"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="commitments")
    volunteer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    check_back_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    dropped_at = models.DateTimeField(null=True, blank=True)
    # The live session it was made in, from its volunteer's own revealed share: one per share.
    session = models.ForeignKey(
        "group_sessions.GroupSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    share = models.OneToOneField(
        "group_sessions.Share", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "client_id"], name="commitment_client_id_unique"),
        ]
        indexes = [models.Index(fields=["team", "status"]), models.Index(fields=["done_at"])]

    def __str__(self) -> str:
        return f"commitment {self.pk} ({self.status})"

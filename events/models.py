"""Each person's event log: what concerns them, in order, kept for a retention window.

Events are written in the same transaction as the change that caused them and pushed to open
connections after commit. Each person's events are numbered 1, 2, 3… with no gaps (the
stream row is locked while numbers are handed out), so a client that reconnects with the last
number it saw gets exactly what it missed.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone


class EventStream(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+")
    last_number = models.PositiveBigIntegerField(default=0)
    # Events numbered up to this one may have been pruned: replay from before it is impossible.
    pruned_through = models.PositiveBigIntegerField(default=0)


class Event(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "number"], name="one_event_per_number")]

    def __str__(self) -> str:
        return f"event {self.number} of user {self.user_id} ({self.type})"

"""The private journal. Only the author can ever read a reflection's body.

The body is stored encrypted (reflections.crypto) and is never part of __str__, the admin or a
log line. Mood, energy and theme tags are the only parts that feed anonymised insights.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from exercises.models import Run, Theme

BODY_MAX_LENGTH = 10_000


class Reflection(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections")
    body_ciphertext = models.TextField(editable=False)
    mood = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    energy = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="+")
    run = models.ForeignKey(Run, null=True, blank=True, on_delete=models.SET_NULL, related_name="reflections")
    session = models.ForeignKey(
        "group_sessions.GroupSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="reflection_client_id_unique"),
            models.CheckConstraint(
                condition=models.Q(mood__gte=1, mood__lte=5) | models.Q(mood=None), name="mood_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(energy__gte=1, energy__lte=5) | models.Q(energy=None), name="energy_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"reflection {self.pk}"

"""The private journal. Only the author can ever read a reflection's body.

A reflection's words are stored one of two ways. End to end (once the person's phone has turned
it on): a `document` the phone encrypted with a journal key the server never sees (README,
"The end-to-end encrypted journal"). Before that, as it always was: `body_ciphertext`, encrypted
at rest with the server's keys (reflections.crypto). Either way the words are never part of
__str__, the admin or a log line. Mood, energy, theme tags, the linked run or session and the
times stay in the clear: the anonymised insights and the journal's filters need them.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from exercises.models import Run, Step, Theme

BODY_MAX_LENGTH = 10_000
# The encrypted document: base64 of nonce, ciphertext and tag; room for the longest body and a
# little more the phone keeps private (e.g. the colleagues it mentions).
DOCUMENT_MAX_LENGTH = 65_536


class Reflection(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections")
    body_ciphertext = models.TextField(editable=False, blank=True)
    document = models.TextField(editable=False, blank=True)
    key_id = models.CharField(max_length=64, blank=True)
    document_format = models.PositiveSmallIntegerField(null=True, blank=True)
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
    # What invited it: the exercise step it answers, or the nudge (its id; nudges are their app's).
    prompt_step = models.ForeignKey(Step, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    prompt_nudge_id = models.BigIntegerField(null=True, blank=True)
    client_id = models.UUIDField(default=uuid.uuid4)
    # When it was written: on the phone, perhaps offline, so perhaps before it reached us.
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["author", "-occurred_at", "-id"], name="journal_by_time")]
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

    @property
    def end_to_end(self) -> bool:
        return bool(self.document)


class JournalKey(models.Model):
    """What the server holds of a person's journal key: never the key. Its id, and the key
    wrapped for the recovery secret the phone derived from the person's recovery phrase (Argon2id,
    with this salt and these limits, then XSalsa20-Poly1305). Its existence means the journal is
    end to end encrypted: no server-readable words are accepted from then on."""

    author = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_key")
    key_id = models.CharField(max_length=64)
    recovery_wrapped_key = models.TextField()
    recovery_salt = models.CharField(max_length=64)
    recovery_opslimit = models.PositiveIntegerField()
    recovery_memlimit = models.PositiveBigIntegerField()
    turned_on_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"journal key {self.key_id} of {self.author_id}"


class JournalDevice(models.Model):
    """A phone of the person's: its X25519 public key, and the journal key sealed for it (blank
    until one of the person's devices, or the phone itself with the recovery phrase, wraps it)."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="journal_devices")
    name = models.CharField(max_length=80)
    public_key = models.CharField(max_length=64)
    wrapped_key = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    wrapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["author", "public_key"], name="journal_device_once")]

    def __str__(self) -> str:
        return f"journal device {self.pk} of {self.author_id}"

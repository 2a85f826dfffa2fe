""" "I see you": one colleague noticing another, and what people do with it."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation

MESSAGE_MAX_LENGTH = 500


class Acknowledgement(models.Model):
    class Behaviour(models.TextChoices):
        JUMPED_IN = "jumped_in", "Jumped in"
        SPOKE_UP = "spoke_up", "Spoke up"
        TOOK_INITIATIVE = "took_initiative", "Took initiative"
        HELPED = "helped", "Helped"
        SAW_ME = "saw_me", "Saw me as a person"
        SHARED_KNOWLEDGE = "shared_knowledge", "Shared what they knew"

    class Visibility(models.TextChoices):
        # The recipient alone (and the sender, who wrote it): never a lead, coach or admin view.
        PRIVATE = "private"
        # Also on the team feed of every team the sender or recipient belongs to.
        TEAM = "team"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements_sent")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements_received"
    )
    message = models.CharField(max_length=MESSAGE_MAX_LENGTH)
    behaviour = models.CharField(max_length=16, choices=Behaviour.choices)
    visibility = models.CharField(max_length=7, choices=Visibility.choices, default=Visibility.PRIVATE)
    client_id = models.UUIDField(default=uuid.uuid4)
    # The "leave it with me" this acknowledges, when it celebrates a jump-in.
    orphan = models.ForeignKey("orphans.Orphan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The commitment this acknowledges, when it celebrates one taken on or kept.
    commitment = models.ForeignKey(
        "commitments.Commitment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    # Taken off the team feed by the recipient, or by a report until an admin restores it.
    hidden_by_recipient = models.BooleanField(default=False)
    hidden_for_review = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="acknowledgement_client_id_unique"),
            models.CheckConstraint(condition=~models.Q(sender=models.F("recipient")), name="no_self_acknowledgement"),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            models.Index(fields=["sender", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"acknowledgement {self.pk} ({self.behaviour})"

    @property
    def on_team_feed(self) -> bool:
        return self.visibility == self.Visibility.TEAM and not (self.hidden_by_recipient or self.hidden_for_review)


class Reaction(models.Model):
    class Kind(models.TextChoices):
        HEART = "heart"
        CLAP = "clap"
        INSPIRED = "inspired"
        THANKS = "thanks"

    acknowledgement = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["acknowledgement", "user", "kind"], name="one_reaction_of_a_kind")
        ]


class Report(models.Model):
    """Someone who can see an acknowledgement says it is not OK; an org admin reviews it."""

    acknowledgement = models.ForeignKey(Acknowledgement, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["acknowledgement", "reporter"], name="one_report_per_person")]

"""What a team agrees: its contribution to the rest of the organisation, its purpose, its
working norms and its frame for initiative.

An agreement is never edited in place: every change is a new version, proposed by someone at
a moment, and becomes current only when the team adopts it (its lead over HTTP, or a live
session's facilitator). Old versions are kept, so the team can see how its thinking moved.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from teams.models import Team

TEXT_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 280
# A review date the adopting lead does not choose: a quarter after adoption.
REVIEW_AFTER_DAYS = 90


class Agreement(models.Model):
    """One per team and kind; its text lives in its versions."""

    class Kind(models.TextChoices):
        CONTRIBUTION = "contribution"  # what we provide and to whom: readable by the whole organisation
        PURPOSE = "purpose"
        WORKING_NORM = "working_norm"
        INITIATIVE_FRAME = "initiative_frame"  # what anyone here may do without asking

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    review_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "kind"], name="one_agreement_per_team_and_kind"),
            models.UniqueConstraint(fields=["created_by", "client_id"], name="agreement_client_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} agreement of {self.team_id}"

    @property
    def review_exercise(self) -> str:
        """The content pack's group exercise a lead can run when it comes up for review: the one
        the team would write it with."""
        return REVIEW_EXERCISES[self.kind]


REVIEW_EXERCISES = {
    Agreement.Kind.CONTRIBUTION: "draft-our-contribution",
    Agreement.Kind.PURPOSE: "why-we-are-here",
    Agreement.Kind.WORKING_NORM: "one-point-safer",
    Agreement.Kind.INITIATIVE_FRAME: "our-frame-for-initiative",
}


class Version(models.Model):
    """One wording of an agreement: a draft until adopted, then current, then past once another
    is adopted."""

    class Status(models.TextChoices):
        DRAFT = "draft"
        CURRENT = "current"
        PAST = "past"

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    text = models.CharField(max_length=TEXT_MAX_LENGTH)
    status = models.CharField(max_length=7, choices=Status.choices, default=Status.DRAFT)
    # Null only after the person erased their account: the words stay the team's.
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adopted_at = models.DateTimeField(null=True, blank=True)
    # The live session it was adopted in, if it was: what that session produced.
    session = models.ForeignKey(
        "group_sessions.GroupSession", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    client_id = models.UUIDField(default=uuid.uuid4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="one_version_per_number"),
            models.UniqueConstraint(
                fields=["agreement"], condition=models.Q(status="current"), name="one_current_version"
            ),
            models.UniqueConstraint(fields=["proposed_by", "client_id"], name="version_client_id_unique"),
        ]
        indexes = [models.Index(fields=["adopted_at"])]

    def __str__(self) -> str:
        return f"version {self.number} of agreement {self.agreement_id} ({self.status})"


class Comment(models.Model):
    """A short word on a contribution agreement from someone of another team of the
    organisation: the customer's voice, which the team sees."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=COMMENT_MAX_LENGTH)
    client_id = models.UUIDField(default=uuid.uuid4)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["author", "client_id"], name="agreement_comment_client_id_unique")
        ]
        indexes = [models.Index(fields=["agreement", "created_at"])]

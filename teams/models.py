"""Teams, who is in them (and who leads), who is invited to them, and which coaches may look at
them."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation

# No 0/O or 1/I/L: codes are read aloud and typed on phones.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)
    join_code = models.CharField(max_length=8, unique=True, default=new_join_code)
    created_at = models.DateTimeField(default=timezone.now)
    # Teams that work together day to day (set in the admin): their people who opted in may be
    # suggested to each other as pair partners, so trust also grows across the seam.
    works_with = models.ManyToManyField("self", symmetrical=True, blank=True)
    # Shared power: with it on, any member may start, schedule and facilitate the team's group
    # sessions, not only its leads (the lead turns it on; the app then suggests a rota).
    members_facilitate = models.BooleanField(default=False)
    # Archived by the organisation's admins: the team no longer runs (nobody is in it, nobody joins
    # or is invited), and what it did stays (its finished weeks in the coaches' insights).
    archived_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        MEMBER = "member"
        LEAD = "lead"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_team")]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class CoachAssignment(models.Model):
    """A coach may see anonymised insights for an organisation, or only for one of its teams."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coach_assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="coach_assignments")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, help_text="Empty: the whole organisation."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["coach", "organisation", "team"], name="one_assignment_per_scope"),
            models.UniqueConstraint(
                fields=["coach", "organisation"], condition=models.Q(team=None), name="one_org_wide_assignment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.coach} coaches {self.team or self.organisation}"


class Invitation(models.Model):
    """Someone asked by email, by a lead of the team or an admin of its organisation, to join the
    team in a role. The link's token is kept only as its SHA-256, so a copy of this table joins
    nobody. It works once, until `expires_at`, unless revoked; a newer invitation for the same
    email and team revokes it (one pending invitation per email and team)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="lower-cased")
    role = models.CharField(max_length=8, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["team", "email"],
                condition=models.Q(accepted_at=None, revoked_at=None),
                name="one_pending_invitation_per_email",
            )
        ]
        indexes = [models.Index(fields=["email"], name="invitation_email")]

    def __str__(self) -> str:
        return f"{self.email} to {self.team_id} ({self.role})"

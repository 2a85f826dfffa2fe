"""Teams, who is in them (and who leads), and which coaches may look at them."""

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

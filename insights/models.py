"""Anonymised team figures for coaches, and the audit log of who looked.

Figures are rolled up once per team per finished ISO week (UTC), from the team's members at
that moment, and never recomputed: someone joining or leaving later cannot change a published
week, so comparing the same week before and after reveals nothing. A rollup holds counts and
the number of distinct people behind each, never who.

What coaches read of a week is presented once too, when the week is rolled up: each team's row
and the organisation's, as JSON text (insights.presenters), served as it is.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from accounts.models import Organisation
from teams.models import Team


class TeamWeek(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="weeks")
    week_start = models.DateField(help_text="The Monday (UTC) the ISO week starts on.")
    members = models.PositiveIntegerField()
    figures = models.JSONField(default=dict)
    computed_at = models.DateTimeField(default=timezone.now)
    presented = models.TextField(
        blank=True, help_text="The team's row as coaches see it (JSON); valid while its OrganisationWeek is."
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "week_start"], name="one_rollup_per_team_week")]
        indexes = [models.Index(fields=["week_start"])]


class OrganisationWeek(models.Model):
    """One week of an organisation as presented to coaches: the organisation's row, and what it
    and its teams' rows were built for (k, catalogue, the teams rolled up that week)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    week_start = models.DateField()
    presented = models.TextField(help_text="The organisation's row over all its teams as coaches see it (JSON).")
    built_for = models.CharField(max_length=64, help_text="insights.presenters.built_for when it was presented.")
    presented_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "week_start"], name="one_presentation_per_organisation_week"
            )
        ]


class InsightView(models.Model):
    """Every time a coach looked at insights: who, which organisation (and team), when."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    weeks = models.CharField(max_length=30, help_text="from..to")
    format = models.CharField(max_length=10)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

"""The exercise catalogue (loaded from the content pack) and the runs people make of it.

Catalogue texts are written in English; `translations` holds the other languages the pack
gives, {"fr": {"title": ...}}, and exercises.selectors.text_in serves one in the reader's
language, English when that language has none.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class Theme(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=80)
    summary = models.CharField(max_length=240)
    position = models.PositiveSmallIntegerField(default=0)
    translations = models.JSONField(default=dict, blank=True, help_text='{"fr": {"name": ..., "summary": ...}}')

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name


class Exercise(models.Model):
    class Mode(models.TextChoices):
        SOLO = "solo"
        PAIR = "pair"
        GROUP = "group"

    class Audience(models.TextChoices):
        EVERYONE = "everyone"
        LEADS = "leads", "Team leads"

    class Need(models.TextChoices):
        PARTNER = "partner", "A partner: someone to do it with"
        MEETING = "meeting", "A meeting of the team, to do it in or around"

    slug = models.SlugField(max_length=60, unique=True)
    theme = models.ForeignKey(Theme, on_delete=models.PROTECT, related_name="exercises")
    title = models.CharField(max_length=80)
    mode = models.CharField(max_length=5, choices=Mode.choices)
    duration_minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(2), MaxValueValidator(10)])
    summary = models.CharField(max_length=240)
    reflection_prompts = models.JSONField(default=list)
    audience = models.CharField(max_length=8, choices=Audience.choices, default=Audience.EVERYONE)
    needs = models.JSONField(default=list, blank=True, help_text='What it takes besides oneself: "partner", "meeting".')
    # "Come back after the meeting and note...": the reflection prompt comes this long after
    # the run is completed, instead of straight after.
    follow_up_minutes = models.PositiveIntegerField(null=True, blank=True)
    translations = models.JSONField(
        default=dict, blank=True, help_text='{"fr": {"title": ..., "summary": ..., "reflection_prompts": [...]}}'
    )
    # An exercise dropped from the content pack is retired, not deleted: runs still point at it.
    is_active = models.BooleanField(default=True)
    content_version = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["theme__position", "slug"]

    def __str__(self) -> str:
        return self.title


class Step(models.Model):
    class Kind(models.TextChoices):
        PROMPT = "prompt"
        TIMER = "timer"
        SHARE = "share"
        CHECKIN = "checkin"
        REFLECT = "reflect"

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.CharField(max_length=500)
    seconds = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Timer steps only.")
    # Check-in steps only: the question asked, the same slug wherever the same thing is asked, so
    # team health rolls answers from different exercises up together (insights.services).
    question = models.SlugField(max_length=60, blank=True, default="", help_text="Check-in steps only.")
    question_name = models.CharField(max_length=80, blank=True, default="", help_text="Check-in steps only.")
    translations = models.JSONField(default=dict, blank=True, help_text='{"fr": {"text": ...}}')

    class Meta:
        ordering = ["exercise", "position"]
        constraints = [models.UniqueConstraint(fields=["exercise", "position"], name="one_step_per_position")]

    def __str__(self) -> str:
        return f"{self.exercise.slug} #{self.position} ({self.kind})"


class WithheldTheme(models.Model):
    """A theme an organisation does not offer its people (its admins choose): its exercises are
    neither in their catalogue nor picked for them. Every theme is offered unless withheld, so a
    theme new in the content pack reaches everyone."""

    organisation = models.ForeignKey("accounts.Organisation", on_delete=models.CASCADE, related_name="withheld_themes")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organisation", "theme"], name="theme_withheld_once")]

    def __str__(self) -> str:
        return f"{self.theme_id} withheld from {self.organisation_id}"


class CatalogueRevision(models.Model):
    """One row each time the catalogue changed (a content pack loaded, an edit in the admin). The
    newest one's id is the catalogue's version: phones keep the catalogue and ask for it again
    only when the version moved on (the catalogue endpoints' ETag)."""

    changed_at = models.DateTimeField(default=timezone.now)
    cause = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"catalogue version {self.pk}: {self.cause}"


class ContentPackLoad(models.Model):
    """Each time a changed content pack was loaded; an unchanged pack is not loaded again, so
    edits made in the admin survive restarts until the pack itself changes."""

    version = models.PositiveIntegerField()
    checksum = models.CharField(max_length=64)
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        get_latest_by = "loaded_at"

    def __str__(self) -> str:
        return f"v{self.version} ({self.checksum[:8]})"


class Run(models.Model):
    """One person doing one exercise: started, and perhaps completed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="runs")
    client_id = models.UUIDField(default=uuid.uuid4)
    started_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "client_id"], name="run_client_id_unique")]
        indexes = [models.Index(fields=["user", "completed_at"])]

    def __str__(self) -> str:
        return f"run {self.pk} of {self.exercise_id}"


class Practice(models.Model):
    """What today's pick and the weekly streak need from one person's completed runs, kept up to
    date as runs complete (exercises.practice), so that reading it costs one row however long the
    history. A person without completed runs has none."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="practice"
    )
    # The zone the streak's weeks were counted in: the person's, unless it changed since.
    time_zone = models.CharField(max_length=64)
    last_completed_at = models.DateTimeField()
    # Runs completed before this instant are summed up in the next three fields; runs since are
    # listed one by one in `latest`.
    summary_before = models.DateTimeField()
    exercises_done = models.JSONField(default=dict, help_text="{exercise id: its last completion (ISO)}")
    themes_done = models.JSONField(default=dict, help_text="{theme id: its last completion (ISO)}")
    recent = models.JSONField(default=list, help_text="exercise ids of the last runs summed up, newest first")
    latest = models.JSONField(default=list, help_text="[[completion (ISO), exercise id, theme id]], oldest first")
    # The newest stretch of consecutive local weeks (named by their Mondays) with a completion.
    streak_from = models.DateField()
    streak_to = models.DateField()

    def __str__(self) -> str:
        return f"practice of {self.user_id}"

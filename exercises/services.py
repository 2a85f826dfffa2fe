"""Writes about exercises: loading the content pack, starting and completing runs."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path

from django.db import transaction

from accounts.models import User
from accounts.services import person_lock
from common.errors import Invalid, NotFound
from common.idempotency import create_once
from common.offline import CLOCK_DRIFT, occurred_at
from exercises.content import DEFAULT_PACK, read_pack
from exercises.models import CatalogueRevision, ContentPackLoad, Exercise, Practice, Run, Step, Theme
from exercises.practice import practice_add, practice_fields, practice_takes
from nudges.triggers import nudge_reflect_after_run


@transaction.atomic
def content_pack_load(*, directory: Path = DEFAULT_PACK, force: bool = False) -> ContentPackLoad | None:
    """Bring the catalogue in line with the content pack; None when it was already loaded.

    Upserts by slug, so loading again updates and never duplicates. Exercises that left the
    pack are retired, not deleted. An unchanged pack is skipped so admin edits survive restarts.
    """
    pack = read_pack(directory)
    latest = ContentPackLoad.objects.order_by("-loaded_at", "-pk").first()
    if not force and latest is not None and latest.checksum == pack.checksum:
        return None
    themes_before = dict(Exercise.objects.values_list("pk", "theme_id"))

    themes = {}
    for theme in pack.themes:
        themes[theme.slug], _ = Theme.objects.update_or_create(
            slug=theme.slug,
            defaults={
                "name": theme.name,
                "summary": theme.summary,
                "position": theme.position,
                "translations": theme.translations,
            },
        )
    for content in pack.exercises:
        exercise, _ = Exercise.objects.update_or_create(
            slug=content.slug,
            defaults={
                "theme": themes[content.theme],
                "title": content.title,
                "mode": content.mode,
                "duration_minutes": content.duration_minutes,
                "summary": content.summary,
                "reflection_prompts": list(content.reflection_prompts),
                "audience": content.audience,
                "needs": list(content.needs),
                "follow_up_minutes": content.follow_up_minutes,
                "translations": content.translations,
                "is_active": True,
                "content_version": pack.version,
            },
        )
        fields = ("kind", "text", "seconds", "question", "question_name", "translations")
        wanted = [tuple(getattr(step, field) for field in fields) for step in content.steps]
        if list(exercise.steps.order_by("position").values_list(*fields)) != wanted:
            exercise.steps.all().delete()
            Step.objects.bulk_create(
                Step(exercise=exercise, position=position, **dict(zip(fields, step, strict=True)))
                for position, step in enumerate(wanted, start=1)
            )
    Exercise.objects.exclude(slug__in=[content.slug for content in pack.exercises]).update(is_active=False)
    moved = [
        pk
        for pk, theme_id in Exercise.objects.values_list("pk", "theme_id")
        if themes_before.get(pk, theme_id) != theme_id
    ]
    practices_rebuild(exercise_ids=moved)
    catalogue_changed(cause=f"content pack version {pack.version} loaded")
    return ContentPackLoad.objects.create(version=pack.version, checksum=pack.checksum)


def catalogue_changed(*, cause: str) -> CatalogueRevision:
    """The catalogue changed (in the caller's transaction): a new version, so phones fetch it again."""
    return CatalogueRevision.objects.create(cause=cause[:200])


@transaction.atomic
def run_start(
    *, user: User, exercise_slug: str, client_id: uuid.UUID, started_at: datetime | None = None
) -> tuple[Run, bool]:
    """Start a run, now or when the phone started it offline (`started_at`, within
    common.offline's bounds); the same client_id again returns the first run (and False)."""
    started_at = occurred_at(started_at, field="started_at")
    person_lock(user=user)
    exercise = Exercise.objects.filter(slug=exercise_slug, is_active=True).first()
    if exercise is None:
        raise NotFound("No such exercise.", code="exercise_not_found", field="exercise")
    return create_once(
        Run.objects.filter(user=user),
        client_id=client_id,
        sent={"exercise": exercise.pk},
        stored=lambda first: {"exercise": first.exercise_id},
        create=lambda: Run.objects.create(user=user, exercise=exercise, client_id=client_id, started_at=started_at),
    )


@transaction.atomic
def run_complete(*, user: User, run_id: int, completed_at: datetime | None = None) -> Run:
    """Mark one's own run done, now or when the phone completed it offline (`completed_at`,
    within common.offline's bounds, not before the run started): the streak and the weekly
    look-back count it on the day it was done. Completing twice keeps the first completion time.

    The reflection prompt follows soon after, or, for an exercise with a follow-up ("after the
    meeting, come back and note..."), that long after.
    """
    run = Run.objects.select_for_update().select_related("exercise__theme").filter(pk=run_id, user=user).first()
    if run is None:
        raise NotFound("No such run among yours.", code="run_not_found")
    if run.completed_at is None:
        completed_at = occurred_at(completed_at, field="completed_at")
        if completed_at < run.started_at - CLOCK_DRIFT:
            raise Invalid(
                "The run was completed before it started.", code="completed_before_started", field="completed_at"
            )
        # Within the drift of two clocks (the phone's and ours), it was completed as it started.
        run.completed_at = max(completed_at, run.started_at)
        run.save(update_fields=["completed_at"])
        _practice_count(user=user, run=run)
        follow_up = run.exercise.follow_up_minutes
        nudge_reflect_after_run(
            user_id=run.user_id,
            run_id=run.pk,
            completed_at=run.completed_at,
            after=timedelta(minutes=follow_up) if follow_up else None,
        )
    return run


def _practice_count(*, user: User, run: Run) -> None:
    """Count a completion in the person's kept practice (exercises.practice), in the completion's
    transaction; counted afresh when it cannot simply be added (the first one, a new time zone,
    one completed before the newest)."""
    practice = Practice.objects.select_for_update().filter(user=user).first()
    if practice is None or not practice_takes(practice, completed_at=run.completed_at, time_zone=user.time_zone):
        practice_rebuild(user=user)
        return
    practice_add(practice, completed_at=run.completed_at, exercise_id=run.exercise_id, theme_id=run.exercise.theme_id)
    practice.save()


@transaction.atomic
def practice_rebuild(*, user: User) -> Practice | None:
    """Count the person's kept practice afresh from their runs: after their time zone changed, or
    whenever it cannot simply be brought up to date."""
    fields = practice_fields(runs=Run.objects.filter(user=user), time_zone=user.time_zone)
    if fields is None:
        Practice.objects.filter(user=user).delete()
        return None
    practice, _ = Practice.objects.update_or_create(user=user, defaults=fields)
    return practice


def practices_rebuild(*, exercise_ids: list[int]) -> None:
    """Count afresh the practice of everyone who completed one of these exercises (moved to
    another theme: the pick rotates themes by their current exercises)."""
    if not exercise_ids:
        return
    done = Run.objects.filter(exercise_id__in=exercise_ids, completed_at__isnull=False)
    for user in User.objects.filter(pk__in=done.values("user_id")):
        practice_rebuild(user=user)

"""Reads about exercises: the catalogue, a person's runs, and what to do today."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Exists, Max, Model, Prefetch, Q, QuerySet
from django.db.models.functions import TruncWeek

from accounts.models import User
from accounts.selectors import local_day_start, local_today
from acknowledgements.selectors import unread_count
from common.errors import NotFound
from common.weeks import monday_of
from exercises.models import Exercise, Run, Step, Theme
from pairs.selectors import partner_suggestion
from teams.models import Membership

# Recommendations avoid the exercises of this many most recent completed runs.
RECENT_RUNS_AVOIDED = 10
# Daily recommendations are for one person; group exercises are run by a lead in a session.
PERSONAL_MODES = (Exercise.Mode.SOLO, Exercise.Mode.PAIR)


def text_in(*, item: Model, field: str, locale: str):
    """A catalogue text (a theme's, an exercise's or a step's `field`) in the language of
    `locale` ("fr-CA": French), in English where the pack gives no translation."""
    language = locale.partition("-")[0].lower() if locale else ""
    return item.translations.get(language, {}).get(field) or getattr(item, field)


def exercise_title(*, slug: str, locale: str) -> str | None:
    """An exercise's title in the language of `locale` (None: no such exercise)."""
    exercise = Exercise.objects.filter(slug=slug).only("title", "translations").first()
    return text_in(item=exercise, field="title", locale=locale) if exercise else None


def themes_list() -> QuerySet[Theme]:
    return Theme.objects.all()


def theme_exists(*, slug: str) -> bool:
    return Theme.objects.filter(slug=slug).exists()


def _with_steps(exercises: QuerySet[Exercise]) -> QuerySet[Exercise]:
    return exercises.select_related("theme").prefetch_related(
        Prefetch("steps", queryset=Step.objects.order_by("position"))
    )


def exercises_list(*, theme: str | None = None, mode: str | None = None) -> QuerySet[Exercise]:
    exercises = Exercise.objects.filter(is_active=True)
    if theme:
        exercises = exercises.filter(theme__slug=theme)
    if mode:
        exercises = exercises.filter(mode=mode)
    return _with_steps(exercises).order_by("theme__position", "slug")


def exercise_get(*, slug: str) -> Exercise:
    exercise = _with_steps(Exercise.objects.filter(slug=slug, is_active=True)).first()
    if exercise is None:
        raise NotFound("No such exercise.", code="exercise_not_found")
    return exercise


def runs_for_user(*, user: User) -> QuerySet[Run]:
    return Run.objects.filter(user=user).select_related("exercise__theme")


@dataclass(frozen=True)
class Streak:
    weeks: int
    this_week_done: bool


@dataclass(frozen=True)
class Today:
    date: date
    exercise: Exercise | None
    completed_today: bool
    streak: Streak
    unread_acknowledgements: int
    # For a pair exercise: a teammate to invite (pairs.selectors.partner_suggestion).
    partner: User | None = None


def _tie_break(*parts) -> str:
    """A stable per-person, per-day shuffle, so two people do not all get the same pick."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()


def recommendation_for(*, user: User, day: date) -> Exercise | None:
    """The exercise for this person on this local day.

    Something one can do that day with no one's leave: a solo or pair exercise (a pair one
    comes with a partner to invite), never one needing a meeting (those are chosen from the
    catalogue when a meeting is coming), and one for leads only to someone who leads a team.
    Rotates themes (the theme done longest ago, or never, comes first) and avoids the last
    exercises done. Only runs completed before the day count, so the pick holds all day.
    """
    before = Run.objects.filter(user=user, completed_at__lt=local_day_start(user=user, day=day))
    theme_last_done = dict(
        before.values_list("exercise__theme_id")
        .annotate(last=Max("completed_at"))
        .values_list("exercise__theme_id", "last")
    )
    exercise_last_done = dict(
        before.values_list("exercise_id").annotate(last=Max("completed_at")).values_list("exercise_id", "last")
    )
    recent = set(before.order_by("-completed_at").values_list("exercise_id", flat=True)[:RECENT_RUNS_AVOIDED])
    leads = Exists(Membership.objects.filter(user=user, role=Membership.Role.LEAD))
    for_them = Q(audience=Exercise.Audience.EVERYONE) | Q(leads)
    candidates = [
        exercise
        for exercise in _with_steps(Exercise.objects.filter(for_them, is_active=True, mode__in=PERSONAL_MODES))
        if Exercise.Need.MEETING not in exercise.needs
    ]
    if not candidates:
        return None
    never = datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    fresh = [exercise for exercise in candidates if exercise.pk not in recent] or candidates
    theme_id = min(
        {exercise.theme_id for exercise in fresh},
        key=lambda tid: (theme_last_done.get(tid, never), _tie_break(user.pk, day, "theme", tid)),
    )
    return min(
        (exercise for exercise in fresh if exercise.theme_id == theme_id),
        key=lambda e: (exercise_last_done.get(e.pk, never), _tie_break(user.pk, day, e.slug)),
    )


def weekly_streak(*, user: User, today: date) -> Streak:
    """Consecutive weeks (Monday to Sunday, local) with at least one completed run.

    Gentle: a week not yet done does not break the streak until it is over.
    """
    zone = ZoneInfo(user.time_zone)
    this_monday = monday_of(today)
    horizon = local_day_start(user=user, day=this_monday - timedelta(weeks=104))
    weeks_done = {
        week.date() if isinstance(week, datetime) else week
        for week in Run.objects.filter(user=user, completed_at__gte=horizon)
        .annotate(week=TruncWeek("completed_at", tzinfo=zone))
        .values_list("week", flat=True)
        .distinct()
    }
    this_week_done = this_monday in weeks_done
    monday = this_monday if this_week_done else this_monday - timedelta(weeks=1)
    weeks = 0
    while monday in weeks_done:
        weeks += 1
        monday -= timedelta(weeks=1)
    return Streak(weeks=weeks, this_week_done=this_week_done)


def today_for_user(*, user: User, now: datetime | None = None) -> Today:
    day = local_today(user=user, now=now)
    start = local_day_start(user=user, day=day)
    exercise = recommendation_for(user=user, day=day)
    return Today(
        date=day,
        exercise=exercise,
        completed_today=Run.objects.filter(user=user, completed_at__gte=start).exists(),
        streak=weekly_streak(user=user, today=day),
        unread_acknowledgements=unread_count(user=user),
        partner=partner_suggestion(user=user, day=day) if exercise and exercise.mode == Exercise.Mode.PAIR else None,
    )


def runs_completed_since(*, user: User, since: datetime) -> QuerySet[Run]:
    """The person's runs completed at or after `since`."""
    return Run.objects.filter(user=user, completed_at__gte=since)

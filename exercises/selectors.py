"""Reads about exercises: the catalogue, a person's runs, and what to do today."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, Model, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import local_day_start, local_today
from acknowledgements.selectors import unread_received
from common.counting import counted_since_each
from common.errors import NotFound
from common.weeks import monday_of
from exercises.models import CatalogueRevision, Exercise, Practice, Run, Step, Theme, WithheldTheme
from exercises.practice import (
    RECENT_RUNS_AVOIDED,  # noqa: F401  (the pick's rule, read by its property test)
    DoneBefore,
    Streak,
    done_before,
    practice_answers,
    practice_fields,
    streak_on,
)
from pairs.selectors import partner_suggestion
from teams.models import Membership

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


def _withheld(organisation_id: int | None) -> QuerySet:
    """The themes withheld from the organisation's people, as a subquery (no query of its own)."""
    return WithheldTheme.objects.filter(organisation_id=organisation_id).values("theme_id")


def themes_list(*, organisation_id: int | None) -> QuerySet[Theme]:
    """The themes offered to the people of this organisation (every theme, for no organisation)."""
    return Theme.objects.exclude(pk__in=_withheld(organisation_id))


def theme_exists(*, slug: str) -> bool:
    return Theme.objects.filter(slug=slug).exists()


def _with_steps(exercises: QuerySet[Exercise]) -> QuerySet[Exercise]:
    return exercises.select_related("theme").prefetch_related(
        Prefetch("steps", queryset=Step.objects.order_by("position"), to_attr="steps_in_order")
    )


def catalogue_version() -> int:
    """The catalogue's version: it moves on whenever the catalogue changes (0 before any change)."""
    return _newest_revision().first() or 0


def _newest_revision() -> QuerySet:
    return CatalogueRevision.objects.order_by("-pk").values_list("pk", flat=True)[:1]


def exercises_list(
    *, organisation_id: int | None, theme: str | None = None, mode: str | None = None
) -> QuerySet[Exercise]:
    """The active exercises of the themes offered to this organisation's people."""
    exercises = Exercise.objects.filter(is_active=True).exclude(theme_id__in=_withheld(organisation_id))
    if theme:
        exercises = exercises.filter(theme__slug=theme)
    if mode:
        exercises = exercises.filter(mode=mode)
    return _with_steps(exercises).order_by("theme__position", "slug")


def exercise_get(*, slug: str, organisation_id: int | None) -> Exercise:
    exercise = _with_steps(
        Exercise.objects.filter(slug=slug, is_active=True).exclude(theme_id__in=_withheld(organisation_id))
    ).first()
    if exercise is None:
        raise NotFound("No such exercise.", code="exercise_not_found")
    return exercise


def runs_for_user(*, user: User) -> QuerySet[Run]:
    return Run.objects.filter(user=user).select_related("exercise__theme")


@dataclass(frozen=True)
class Today:
    date: date
    exercise: Exercise | None
    completed_today: bool
    streak: Streak
    unread_acknowledgements: int
    # For a pair exercise: a teammate to invite (pairs.selectors.partner_suggestion).
    partner: User | None = None


def today_for_user(*, user: User, now: datetime | None = None) -> Today:
    """Today's screen in one query however long the person's history: their kept practice
    (exercises.practice) with their unread count, whether they lead a team and the catalogue's
    version; then the catalogue, unless this process keeps it for that version (KeptCatalogue).
    A pair pick adds the partner suggestion's."""
    now = now or timezone.now()
    day = local_today(user=user, now=now)
    start = local_day_start(user=user, day=day)
    person = (
        User.objects.filter(pk=user.pk)
        .select_related("practice")
        .annotate(
            unread=Coalesce(Subquery(_count(unread_received(recipient=OuterRef("pk")), "recipient")), 0),
            leads=_leads(OuterRef("pk")),
            catalogue_version=Coalesce(Subquery(_newest_revision()), 0),
        )
        .get()
    )
    practice = _answering(getattr(person, "practice", None), user=person, now=now)
    exercise = _pick(
        user=user,
        day=day,
        done=done_before(practice, start=start),
        offered=kept_catalogue.offered(
            version=person.catalogue_version, organisation_id=user.organisation_id, leads=person.leads
        ),
    )
    return Today(
        date=day,
        exercise=exercise,
        completed_today=practice is not None and practice.last_completed_at >= start,
        streak=streak_on(practice, monday=monday_of(day)),
        unread_acknowledgements=person.unread,
        partner=partner_suggestion(user=user, day=day) if exercise and exercise.mode == Exercise.Mode.PAIR else None,
    )


def recommendation_for(*, user: User, day: date) -> Exercise | None:
    """The exercise for this person on any local day, counted from their runs before it: the
    rule itself. Today's screen and the daily nudges read the pick for the day at hand from the
    kept practice instead, and tests/test_today_practice.py holds them to this."""
    start = local_day_start(user=user, day=day)
    practice = _counted(user=user, runs=Run.objects.filter(user=user, completed_at__lt=start))
    leads = Membership.objects.filter(_leads(user.pk)).exists()
    offered = _personal_catalogue(leads=leads, organisation_id=user.organisation_id)
    return _pick(user=user, day=day, done=done_before(practice, start=start), offered=offered)


@dataclass(frozen=True)
class DayOfPractice:
    """A person's local day, as a daily nudge asks about it."""

    done: bool  # an exercise completed already that day
    pick: Exercise | None  # the day's exercise: today's screen's, recommendation_for's


def days_of_practice(*, users: list[User], now: datetime) -> dict[int, DayOfPractice]:
    """Each person's local day at `now`, read for all of them at once (a batch of daily nudges)
    as today's screen reads one: their kept practices, who leads a team and the catalogue's
    version in three queries, and the catalogue as the process keeps it."""
    practices = {practice.user_id: practice for practice in Practice.objects.filter(user__in=users)}
    leads = set(_lead_memberships().filter(user__in=users).values_list("user_id", flat=True))
    version = catalogue_version()
    days = {}
    for user in users:
        day = local_today(user=user, now=now)
        start = local_day_start(user=user, day=day)
        practice = _answering(practices.get(user.pk), user=user, now=now)
        offered = kept_catalogue.offered(version=version, organisation_id=user.organisation_id, leads=user.pk in leads)
        days[user.pk] = DayOfPractice(
            done=practice is not None and practice.last_completed_at >= start,
            pick=_pick(user=user, day=day, done=done_before(practice, start=start), offered=offered),
        )
    return days


def _answering(practice: Practice | None, *, user: User, now: datetime) -> Practice | None:
    """The kept practice if it answers at `now`; else (a zone changed behind its back, or a clock
    went back) counted afresh from the runs."""
    if practice is not None and not practice_answers(practice, time_zone=user.time_zone, now=now):
        return _counted(user=user, runs=Run.objects.filter(user=user, completed_at__lte=now))
    return practice


def _counted(*, user: User, runs: QuerySet[Run]) -> Practice | None:
    fields = practice_fields(runs=runs, time_zone=user.time_zone)
    return Practice(user=user, **fields) if fields else None


def _leads(user) -> Exists:
    return Exists(_lead_memberships().filter(user=user))


def _lead_memberships() -> QuerySet[Membership]:
    """What makes someone a lead, to whom the exercises for leads are offered too."""
    return Membership.objects.filter(role=Membership.Role.LEAD)


def _count(rows: QuerySet, key: str) -> QuerySet:
    """`rows` counted, for a subquery whose filter names the outer row by `key`."""
    return rows.order_by().values(key).annotate(n=Count("pk")).values("n")


def _tie_break(*parts) -> str:
    """A stable per-person, per-day shuffle, so two people do not all get the same pick."""
    return hashlib.sha256(":".join(str(part) for part in parts).encode()).hexdigest()


def _pick(*, user: User, day: date, done: DoneBefore, offered: list[Exercise]) -> Exercise | None:
    """The exercise for this person on this local day, given what they completed before it.

    Something one can do that day with no one's leave: a solo or pair exercise (a pair one
    comes with a partner to invite), never one needing a meeting (those are chosen from the
    catalogue when a meeting is coming), from what is `offered` to the person (_personal_catalogue).
    Rotates themes (the theme done longest ago, or never, comes first) and avoids the last
    exercises done. Only runs completed before the day count, so the pick holds all day.
    """
    candidates = [exercise for exercise in offered if Exercise.Need.MEETING not in exercise.needs]
    if not candidates:
        return None
    never = datetime.min.replace(tzinfo=ZoneInfo("UTC"))
    fresh = [exercise for exercise in candidates if exercise.pk not in done.recent] or candidates
    theme_id = min(
        {exercise.theme_id for exercise in fresh},
        key=lambda tid: (done.themes.get(tid, never), _tie_break(user.pk, day, "theme", tid)),
    )
    return min(
        (exercise for exercise in fresh if exercise.theme_id == theme_id),
        key=lambda e: (done.exercises.get(e.pk, never), _tie_break(user.pk, day, e.slug)),
    )


def _personal_catalogue(*, leads: bool, organisation_id: int | None) -> list[Exercise]:
    """The active solo and pair exercises of the themes offered to the person's organisation
    (those for leads only to a lead), each with its theme and its steps, in one query: read
    through the steps, as every exercise has some."""
    steps = Step.objects.filter(exercise__is_active=True, exercise__mode__in=PERSONAL_MODES).exclude(
        exercise__theme_id__in=_withheld(organisation_id)
    )
    if not leads:
        steps = steps.filter(exercise__audience=Exercise.Audience.EVERYONE)
    by_exercise: dict[int, list[Step]] = {}
    for step in steps.select_related("exercise__theme").order_by("exercise_id", "position"):
        by_exercise.setdefault(step.exercise_id, []).append(step)
    exercises = []
    for found in by_exercise.values():
        exercise = found[0].exercise
        exercise.steps_in_order = found  # as _with_steps's prefetch leaves them
        exercises.append(exercise)
    return exercises


class KeptCatalogue:
    """What _personal_catalogue reads, kept by each process for the catalogue's current version.

    Today's screen is every phone's first call, and building some hundred exercises and steps
    from rows was most of its cost. The catalogue changes only with a new version (every change
    writes a CatalogueRevision: a content pack, the admin, an organisation's themes; the phones'
    cached catalogue relies on the same), so what was read for a version holds until the next:
    per organisation and audience, one list sharing one instance per exercise. Read-only."""

    def __init__(self):
        self._state: tuple[int | None, dict, dict] = (None, {}, {})

    def offered(self, *, version: int, organisation_id: int | None, leads: bool) -> list[Exercise]:
        kept_version, exercises, offered = self._state  # replaced whole, so threads see one state
        if kept_version != version:
            exercises, offered = {}, {}
            self._state = (version, exercises, offered)
        key = (organisation_id, leads)
        if key not in offered:
            read = _personal_catalogue(leads=leads, organisation_id=organisation_id)
            offered[key] = [exercises.setdefault(exercise.pk, exercise) for exercise in read]
        return offered[key]

    def forget(self) -> None:
        self._state = (None, {}, {})


kept_catalogue = KeptCatalogue()


def runs_completed_since(*, user: User, since: datetime) -> QuerySet[Run]:
    """The person's runs completed at or after `since`."""
    return Run.objects.filter(user=user, completed_at__gte=since)


def runs_completed_counts(*, since: dict[int, datetime]) -> dict[int, int]:
    """How many runs each person completed at or after their own moment in `since`, for many
    people at once (one query)."""
    return counted_since_each(Run.objects.all(), person="user_id", at="completed_at", since=since)

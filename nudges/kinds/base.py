"""What a kind of nudge is made of. One entry per kind, in nudges/kinds/<kind>.py, holds all of
it; nudges/__init__.py says what adding a kind takes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Expression, QuerySet, TimeField, Value

from accounts.models import User
from exercises.selectors import exercise_title
from nudges.models import Nudge


@dataclass(frozen=True)
class Text:
    """What a nudge says: short, kind, never guilt-tripping."""

    title: str
    body: str


def always_relevant(*, nudge: Nudge, user: User, local: datetime) -> str:
    return ""


def facts_of_the_cause(*, nudge: Nudge, user: User, local: datetime) -> dict:
    """The facts its trigger stored with the nudge when the cause happened."""
    return dict(nudge.context)


def facts_with_the_exercise_in_their_language(*, nudge: Nudge, user: User, local: datetime) -> dict:
    """The facts of the cause, with the exercise's title (`title`, of the exercise `exercise`)
    in the person's language: a French nudge never names an exercise in English."""
    facts = dict(nudge.context)
    if "exercise" in facts:
        facts["title"] = exercise_title(slug=facts["exercise"], locale=user.locale) or facts["title"]
    return facts


def everyone(people: QuerySet[User], now: datetime) -> QuerySet[User]:
    return people


def is_stale(*, nudge: Nudge, local: datetime) -> bool:
    """Quiet hours may carry a planned nudge over to the next morning, not further."""
    return (local.date() - nudge.planned_for).days > 1


@dataclass(frozen=True)
class Schedule:
    """When the clock plans a kind: at the local time `at` (a query expression over the person)
    on the local days `days(today)` gives, for the people `who(people, now)` keeps; one nudge per
    person and `period(day)` (the last part of its dedupe key)."""

    at: Expression
    days: Callable[[date], list[date]]
    period: Callable[[date], str]
    who: Callable[[QuerySet[User], datetime], QuerySet[User]] = everyone


def ten_each_morning(who: Callable[[QuerySet[User], datetime], QuerySet[User]]) -> Schedule:
    """10:00 local, on each day something falls due for the people `who` keeps: planned for
    today and tomorrow, at most one a person a day (the kind's facts gather what is due)."""
    return Schedule(
        at=Value(time(10, 0), output_field=TimeField()),
        days=lambda today: [today, today + timedelta(days=1)],
        period=date.isoformat,
        who=who,
    )


@dataclass(frozen=True)
class NudgeKind:
    """Everything about one kind of nudge.

    `still_relevant` is asked just before sending ("" if it still makes sense, else why not);
    `facts` then reads what its `text` needs (None: nothing worth saying, so it is skipped).
    Both read other apps only through their selectors. A kind whose look would read per nudge
    may read once per batch instead: `read_ahead(nudges, now)` gives, by nudge id, what delivery
    then hands each nudge as `nudge.read_ahead` before asking it. A kind with a `schedule` is
    planned by the clock; one without is planned by its trigger (nudges/triggers.py). A newer
    push with the same `collapse_key` replaces an unread older one on the phone (None: they pile
    up)."""

    name: str
    preference: str
    text: Callable[[dict], Text]
    facts: Callable[..., dict | None] = facts_of_the_cause
    still_relevant: Callable[..., str] = always_relevant
    schedule: Schedule | None = None
    collapse_key: str | None = None
    read_ahead: Callable[[list[Nudge], datetime], dict] | None = None

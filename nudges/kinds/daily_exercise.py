"""At the person's chosen local time, unless they already did an exercise that day."""

from datetime import date, time, timedelta

from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from exercises.selectors import days_of_practice, text_in
from nudges.kinds.base import NudgeKind, Schedule, Text, is_stale
from nudges.models import Kind


def read_ahead(nudges, now) -> dict:
    """The people's days of practice, read for the batch at once."""
    days = days_of_practice(users=[nudge.user for nudge in nudges], now=now)
    return {nudge.pk: days[nudge.user_id] for nudge in nudges}


def still_relevant(*, nudge, user, local) -> str:
    if is_stale(nudge=nudge, local=local):
        return "stale"
    if nudge.read_ahead.done:
        return "already_done"
    return ""


def facts(*, nudge, user, local) -> dict | None:
    exercise = nudge.read_ahead.pick
    if exercise is None:
        return None
    # The title in the person's language, as the rest of the nudge: never an English one in French.
    return {"title": text_in(item=exercise, field="title", locale=user.locale), "minutes": exercise.duration_minutes}


def text(facts: dict) -> Text:
    return Text(
        _("Today's exercise"),
        _("%(title)s: %(minutes)d minutes, whenever suits you.")
        % {"title": facts["title"], "minutes": facts["minutes"]},
    )


KIND = NudgeKind(
    name=Kind.DAILY_EXERCISE,
    preference="daily_exercise",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=Schedule(
        at=Coalesce("nudge_preferences__daily_exercise_at", Value(time(9, 0))),
        days=lambda today: [today, today + timedelta(days=1)],
        period=date.isoformat,
    ),
    collapse_key="daily_exercise",
    read_ahead=read_ahead,
)

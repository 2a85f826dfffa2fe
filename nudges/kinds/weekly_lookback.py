"""Friday 16:00 local, with the week in numbers."""

from datetime import date, time, timedelta

from django.db.models import TimeField, Value
from django.utils.translation import gettext as _

from accounts.selectors import local_day_start
from acknowledgements.selectors import acknowledgements_sent_since
from exercises.selectors import runs_completed_since
from nudges.kinds.base import NudgeKind, Schedule, Text, is_stale
from nudges.models import Kind

FRIDAY = 4


def still_relevant(*, nudge, user, local) -> str:
    return "stale" if is_stale(nudge=nudge, local=local) else ""


def facts(*, nudge, user, local) -> dict:
    week_start = local_day_start(user=user, day=local.date() - timedelta(days=local.weekday()))
    return {
        "exercises": runs_completed_since(user=user, since=week_start).count(),
        "acknowledgements": acknowledgements_sent_since(sender=user, since=week_start).count(),
    }


def text(facts: dict) -> Text:
    return Text(
        _("Your week"),
        _("%(exercises)d exercises done, %(acknowledgements)d colleagues seen. Thank you for showing up.")
        % {"exercises": facts["exercises"], "acknowledgements": facts["acknowledgements"]},
    )


def _iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-{week}"


KIND = NudgeKind(
    name=Kind.WEEKLY_LOOKBACK,
    preference="weekly_lookback",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=Schedule(
        at=Value(time(16, 0), output_field=TimeField()),
        days=lambda today: [today + timedelta(days=(FRIDAY - today.weekday()) % 7)],
        period=_iso_week,
    ),
    collapse_key="weekly_lookback",
)

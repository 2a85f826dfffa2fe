"""Friday 16:00 local, with the week in numbers, and the journal entries written about a month,
a quarter or a year ago when there are any (the phone opens them: only it can read them)."""

from datetime import date, time, timedelta

from django.db.models import TimeField, Value
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import local_day_start
from acknowledgements.selectors import acknowledgements_sent_since
from exercises.selectors import runs_completed_since
from nudges.kinds.base import NudgeKind, Schedule, Text, is_stale
from nudges.models import Kind
from reflections.selectors import on_this_day

FRIDAY = 4


def still_relevant(*, nudge, user, local) -> str:
    return "stale" if is_stale(nudge=nudge, local=local) else ""


def facts(*, nudge, user, local) -> dict:
    week_start = local_day_start(user=user, day=local.date() - timedelta(days=local.weekday()))
    return {
        "exercises": runs_completed_since(user=user, since=week_start).count(),
        "acknowledgements": acknowledgements_sent_since(sender=user, since=week_start).count(),
        "looking_back": sum(len(entries) for entries in on_this_day(author=user, now=local).values()),
    }


def text(facts: dict) -> Text:
    body = _("%(exercises)d exercises done, %(acknowledgements)d colleagues seen. Thank you for showing up.") % {
        "exercises": facts["exercises"],
        "acknowledgements": facts["acknowledgements"],
    }
    looking_back = facts["looking_back"]
    if looking_back:
        body += " " + ngettext(
            "You wrote an entry around this time a month, a quarter or a year ago.",
            "You wrote %(count)d entries around this time a month, a quarter or a year ago.",
            looking_back,
        ) % {"count": looking_back}
    return Text(_("Your week"), body)


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

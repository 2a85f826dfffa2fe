"""Friday 16:00 local, with the week in numbers, and the journal entries written about a month,
a quarter or a year ago when there are any (the phone opens them: only it can read them)."""

from datetime import date, datetime, time, timedelta

from django.db.models import TimeField, Value
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.selectors import local_day_start, local_today
from acknowledgements.selectors import acknowledgements_sent_counts
from common.weeks import monday_of
from exercises.selectors import runs_completed_counts
from nudges.kinds.base import NudgeKind, Schedule, Text, is_stale
from nudges.models import Kind
from reflections.selectors import on_this_day_counts

FRIDAY = 4


def read_ahead(nudges, now) -> dict:
    """The week in numbers of everyone in the batch, read at once: three queries for them all."""
    people = [nudge.user for nudge in nudges]
    since = {person.pk: _week_start(person, now) for person in people}
    exercises = runs_completed_counts(since=since)
    acknowledgements = acknowledgements_sent_counts(since=since)
    looking_back = on_this_day_counts(authors=people, now=now)
    return {
        nudge.pk: {
            "exercises": exercises[nudge.user_id],
            "acknowledgements": acknowledgements[nudge.user_id],
            "looking_back": looking_back[nudge.user_id],
        }
        for nudge in nudges
    }


def _week_start(person, now: datetime) -> datetime:
    today = local_today(user=person, now=now)
    return local_day_start(user=person, day=monday_of(today))


def still_relevant(*, nudge, user, local) -> str:
    return "stale" if is_stale(nudge=nudge, local=local) else ""


def facts(*, nudge, user, local) -> dict:
    return nudge.read_ahead


def text(facts: dict) -> Text:
    exercises, acknowledgements = facts["exercises"], facts["acknowledgements"]
    body = " ".join(
        [
            ngettext("%(count)d exercise done,", "%(count)d exercises done,", exercises) % {"count": exercises},
            ngettext("%(count)d colleague seen.", "%(count)d colleagues seen.", acknowledgements)
            % {"count": acknowledgements},
            _("Thank you for showing up."),
        ]
    )
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
    read_ahead=read_ahead,
)

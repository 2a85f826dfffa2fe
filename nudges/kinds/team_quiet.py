"""To a lead, Monday 10:00 local, when their team has held no group session for three weeks."""

from datetime import date, time, timedelta

from django.db.models import TimeField, Value
from django.utils.translation import gettext as _

from group_sessions.selectors import leads_of_quiet_teams, quiet_teams_led_by
from nudges.kinds.base import NudgeKind, Schedule, Text, is_stale
from nudges.models import Kind

QUIET_FOR = timedelta(weeks=3)
MONDAY = 0


def who(people, now):
    return people.filter(pk__in=leads_of_quiet_teams(since=now - QUIET_FOR))


def _quiet(user, local) -> list[str]:
    return quiet_teams_led_by(user=user, since=local - QUIET_FOR)


def still_relevant(*, nudge, user, local) -> str:
    if is_stale(nudge=nudge, local=local):
        return "stale"
    return "" if _quiet(user, local) else "met_since"


def facts(*, nudge, user, local) -> dict | None:
    quiet = _quiet(user, local)
    return {"team": quiet[0]} if quiet else None


def text(facts: dict) -> Text:
    return Text(
        _("It has been a while"),
        _("%(team)s has not done a group exercise for three weeks. Ten minutes together this week?")
        % {"team": facts["team"]},
    )


def _iso_week(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-{week}"


KIND = NudgeKind(
    name=Kind.TEAM_QUIET,
    preference="team_quiet",
    text=text,
    facts=facts,
    still_relevant=still_relevant,
    schedule=Schedule(
        at=Value(time(10, 0), output_field=TimeField()),
        days=lambda today: [today + timedelta(days=(MONDAY - today.weekday()) % 7)],
        period=_iso_week,
        who=who,
    ),
    collapse_key="team_quiet",
)

"""A person's team calendar: the scheduled sessions of their teams as an iCalendar feed (RFC
5545) at a secret address, so sessions land in the calendars people already use.

Guarantees:
- the address is the only credential: a 256-bit random secret, stored as its SHA-256 only, and
  resetting it makes the old address stop working at once;
- one event per series, repeating with an RRULE in UTC (the worker repeats series in UTC too, so
  calendar and app agree); a cancelled occurrence is an EXDATE, a cancelled series ends with
  UNTIL; UIDs never change, so calendars update events instead of duplicating them;
- the feed carries what the team's members already see of a session (exercise, team, time),
  never a share, an answer or a person.
"""

import secrets
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from accounts.models import User
from accounts.sign_in import sign_in_attempt
from common.digests import secret_digest
from common.errors import NotFound
from group_sessions.models import CalendarFeed, GroupSession, SessionSeries

PRODUCT_ID = "-//Humble//Team sessions//EN"
DESCRIPTION = "A live group exercise with your team in Humble: open the app to join when it starts."
FOLD_AT = 75  # octets per line, CRLF aside (RFC 5545 3.1)


@transaction.atomic
def calendar_secret_reset(*, user: User) -> str:
    """A new secret calendar address for this person (returned once: only its hash is kept);
    the previous one stops working."""
    secret = secrets.token_urlsafe(32)
    CalendarFeed.objects.update_or_create(
        user=user, defaults={"secret_hash": secret_digest(secret), "created_at": timezone.now()}
    )
    return secret


def calendar_for_secret(*, secret: str, address: str, now: datetime | None = None) -> str:
    """The feed of whoever holds this secret, as iCalendar text; NotFound for any other string.

    A wrong secret counts as a sign-in attempt from its address (accounts.sign_in), so guessing
    is held to the limits of every other unauthenticated door; a right one never counts, as
    calendar servers fetch many people's feeds from a few addresses."""
    feed = CalendarFeed.objects.filter(secret_hash=secret_digest(secret)).select_related("user").first()
    if feed is None:
        sign_in_attempt(address=address)
        raise NotFound("No such calendar.", code="not_found")
    return calendar_text(series=_series_for(user=feed.user, now=now or timezone.now()))


def _series_for(*, user: User, now: datetime) -> list[SessionSeries]:
    """The person's teams' series that still have, or lately had, an occurrence: anything
    over CALENDAR_PAST_DAYS ago is left out so the feed stays small as years go by."""
    since = now - timedelta(days=settings.CALENDAR_PAST_DAYS)
    recent = Q(starts_at__gte=since) | (~Q(repeat=SessionSeries.Repeat.NEVER) & Q(cancelled_at=None))
    return list(
        SessionSeries.objects.filter(team__memberships__user=user)
        .filter(recent | Q(cancelled_at__gte=since))
        .select_related("team", "exercise")
        .prefetch_related(
            Prefetch(
                "occurrences",
                queryset=GroupSession.objects.filter(phase=GroupSession.Phase.CANCELLED).order_by("starts_at"),
                to_attr="cancelled",
            )
        )
        .order_by("starts_at", "pk")
    )


def _event(series: SessionSeries) -> list[str]:
    """The series' VEVENT lines; none for a series called off before it ever happened."""
    cancelled = [occurrence.starts_at for occurrence in series.cancelled]
    weeks = SessionSeries.WEEKS_BETWEEN.get(series.repeat)
    if (series.cancelled_at and series.cancelled_at <= series.starts_at) or (not weeks and cancelled):
        return []
    revised = max([series.created_at, series.cancelled_at or series.created_at, *_when_cancelled(series)])
    lines = [
        "BEGIN:VEVENT",
        f"UID:{series.uid}@humble",
        f"DTSTAMP:{_utc(revised)}",
        f"DTSTART:{_utc(series.starts_at)}",
        f"DURATION:PT{series.exercise.duration_minutes}M",
        f"SUMMARY:{_text(f'{series.exercise.title} · {series.team.name}')}",
        f"DESCRIPTION:{_text(DESCRIPTION)}",
    ]
    if weeks:
        rule = f"RRULE:FREQ=WEEKLY;INTERVAL={weeks}"
        if series.cancelled_at:
            rule += f";UNTIL={_utc(series.cancelled_at)}"
        lines.append(rule)
        lines += [f"EXDATE:{_utc(starts_at)}" for starts_at in cancelled]
    lines.append("END:VEVENT")
    return lines


def _when_cancelled(series: SessionSeries) -> list[datetime]:
    return [occurrence.ended_at for occurrence in series.cancelled if occurrence.ended_at]


def calendar_text(*, series: list[SessionSeries]) -> str:
    """The VCALENDAR, lines folded at 75 octets and ended with CRLF as RFC 5545 asks."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT_ID}",
        "CALSCALE:GREGORIAN",
        "X-WR-CALNAME:Humble",
        *(line for one in series for line in _event(one)),
        "END:VCALENDAR",
    ]
    return "".join(f"{folded}\r\n" for line in lines for folded in _fold(line))


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11); control characters other than newline dropped."""
    value = "".join(c for c in value if c == "\n" or c >= " " and c != "\x7f")
    for raw, escaped in (("\\", "\\\\"), (";", "\\;"), (",", "\\,"), ("\n", "\\n")):
        value = value.replace(raw, escaped)
    return value


def _fold(line: str) -> list[str]:
    """Split a content line into pieces of at most 75 octets, never inside a UTF-8 character;
    every piece after the first starts with a space."""
    pieces, piece, room = [], "", FOLD_AT
    for char in line:
        size = len(char.encode())
        if size > room:
            pieces.append(piece)
            piece, room = " ", FOLD_AT - 1
        piece += char
        room -= size
    return [*pieces, piece]

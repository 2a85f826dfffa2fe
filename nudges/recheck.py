"""The re-check just before sending: is this nudge still wanted, now?

In this order: the account still open, the kind still on, no snooze, still relevant (its kind
decides: no exercise done yet, no reflection yet, session still live...), outside quiet hours
(else deferred to their end), under the daily cap.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from accounts.models import User
from accounts.selectors import local_day_start
from common.counting import counted_since_each
from nudges.kinds import KINDS
from nudges.models import Nudge
from nudges.selectors import preferences_for


@dataclass
class Decision:
    send: bool = False
    skip: str = ""
    defer_until: datetime | None = None


def decide(*, nudge: Nudge, now: datetime, sent_today: int) -> Decision:
    user = nudge.user
    preferences = preferences_for(user=user)
    local = now.astimezone(zone(user.time_zone))
    if not user.is_active:
        return Decision(skip="inactive")
    if not getattr(preferences, KINDS[nudge.kind].preference):
        return Decision(skip="opted_out")
    if preferences.snoozed_until and preferences.snoozed_until > now:
        return Decision(skip="snoozed")
    reason = _still_relevant(nudge, user, local)
    if reason:
        return Decision(skip=reason)
    if _in_quiet_hours(local.time(), preferences.quiet_start, preferences.quiet_end):
        return Decision(defer_until=_quiet_hours_end(local, preferences.quiet_end))
    if sent_today >= preferences.daily_cap:
        return Decision(skip="daily_cap")
    return Decision(send=True)


def read_ahead(*, nudges: list[Nudge], now: datetime) -> None:
    """What each kind with a `read_ahead` reads once for its nudges of the batch, handed to each."""
    by_kind: dict[str, list[Nudge]] = {}
    for nudge in nudges:
        by_kind.setdefault(nudge.kind, []).append(nudge)
    for kind, of_kind in by_kind.items():
        if KINDS[kind].read_ahead:
            read = KINDS[kind].read_ahead(of_kind, now)
            for nudge in of_kind:
                nudge.read_ahead = read[nudge.pk]


@cache
def zone(name: str) -> ZoneInfo:
    """The time zone of that name, kept. ZoneInfo itself keeps only the last eight it made (and
    those still in use): a batch of people in more zones would read zone files for each nudge."""
    return ZoneInfo(name)


def sent_today_by_person(*, nudges: list[Nudge], now: datetime) -> dict[int, int]:
    """How many nudges each person got today, in their own day (one query for the batch)."""
    starts = {
        n.user_id: local_day_start(user=n.user, day=now.astimezone(zone(n.user.time_zone)).date()) for n in nudges
    }
    return counted_since_each(Nudge.objects.all(), person="user_id", at="sent_at", since=starts)


def _still_relevant(nudge: Nudge, user: User, local: datetime) -> str:
    """Empty if the nudge still makes sense now, else why not."""
    return KINDS[nudge.kind].still_relevant(nudge=nudge, user=user, local=local)


def _in_quiet_hours(moment: time, start: time, end: time) -> bool:
    if start == end:
        return False
    return start <= moment < end if start < end else moment >= start or moment < end


def _quiet_hours_end(local: datetime, end: time) -> datetime:
    """When quiet hours next end: the next time the wall clock shows `end` after `local`.

    The day is chosen by the wall clock; within it, the first pass of a repeated hour that is
    still ahead (compared in UTC, since within one zone Python compares wall clocks)."""
    now = local.astimezone(UTC)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    for candidate_day in (day, day + timedelta(days=1)):
        for fold in (0, 1):
            candidate = datetime.combine(candidate_day, end, tzinfo=local.tzinfo).replace(fold=fold)
            if candidate.astimezone(UTC) > now:
                return candidate
    raise AssertionError("a wall-clock time recurs within two days")

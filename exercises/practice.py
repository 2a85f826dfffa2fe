"""A person's practice (exercises.models.Practice): what today's pick and the weekly streak need
from their completed runs, so that reading them costs one row however long the history.

It is counted once from the runs (`practice_fields`: for a person's first completion, after a
time-zone change, a run completed out of order, an exercise moved to another theme, and by the
migration that brought it in), then brought up to date one completion at a time
(`practice_add`). Both give the same answers; tests/test_today_practice.py checks it over random
histories and zones.

It keeps:
- the newest completion: was something done today;
- the runs of the last SETTLING before it, one by one, and of the older ones only what the pick
  asks: each exercise's and each theme's last completion, and the exercises of the last
  RECENT_RUNS_AVOIDED runs. The pick counts the runs completed before the local day began: all of
  the summed-up ones (SETTLING is longer than any local day) and the early part of the list;
- the newest stretch of consecutive local weeks with a completion, in the zone it was counted in.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet
from django.db.models.functions import TruncWeek

from common.weeks import monday_of
from exercises.models import Practice

SETTLING = timedelta(days=3)
# The pick avoids the exercises of this many most recent completed runs.
RECENT_RUNS_AVOIDED = 10
# A streak counts back at most this far from the current week.
STREAK_HORIZON = timedelta(weeks=104)
WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Streak:
    weeks: int
    this_week_done: bool


@dataclass(frozen=True)
class DoneBefore:
    """What the pick needs of the runs completed before an instant."""

    exercises: dict[int, datetime]  # each exercise's last completion
    themes: dict[int, datetime]  # each theme's last completion
    recent: set[int]  # the exercises of the last RECENT_RUNS_AVOIDED runs


def practice_fields(*, runs: QuerySet, time_zone: str) -> dict | None:
    """A Practice's fields counted from `runs` (one person's, completed or not, in `time_zone`);
    None when none of them is completed."""
    done = runs.filter(completed_at__isnull=False).order_by()
    last = done.aggregate(last=Max("completed_at"))["last"]
    if last is None:
        return None
    before = last - SETTLING
    summed = done.filter(completed_at__lt=before)
    streak_from, streak_to = _newest_stretch(done, ZoneInfo(time_zone))
    return {
        "time_zone": time_zone,
        "last_completed_at": last,
        "summary_before": before,
        "exercises_done": _last_completions(summed, "exercise_id"),
        "themes_done": _last_completions(summed, "exercise__theme_id"),
        "recent": list(
            summed.order_by("-completed_at", "-pk").values_list("exercise_id", flat=True)[:RECENT_RUNS_AVOIDED]
        ),
        "latest": [
            [_instant(at), exercise_id, theme_id]
            for at, exercise_id, theme_id in done.filter(completed_at__gte=before)
            .order_by("completed_at", "pk")
            .values_list("completed_at", "exercise_id", "exercise__theme_id")
        ],
        "streak_from": streak_from,
        "streak_to": streak_to,
    }


def _last_completions(runs: QuerySet, key: str) -> dict[str, str]:
    rows = runs.values_list(key).annotate(last=Max("completed_at")).values_list(key, "last")
    return {str(pk): _instant(last) for pk, last in rows}


def _newest_stretch(runs: QuerySet, zone: ZoneInfo) -> tuple[date, date]:
    """The first and last Mondays of the newest stretch of consecutive local weeks with a run."""
    weeks = {
        week.date() if isinstance(week, datetime) else week
        for week in runs.annotate(week=TruncWeek("completed_at", tzinfo=zone)).values_list("week", flat=True).distinct()
    }
    first = last = max(weeks)
    while first - WEEK in weeks:
        first -= WEEK
    return first, last


def practice_takes(practice: Practice, *, completed_at: datetime, time_zone: str) -> bool:
    """Whether `practice_add` can count this completion: it is the newest, in the same zone."""
    return practice.time_zone == time_zone and completed_at >= practice.last_completed_at


def practice_add(practice: Practice, *, completed_at: datetime, exercise_id: int, theme_id: int) -> None:
    """Count one more completion (`practice_takes` it); the caller saves."""
    practice.latest.append([_instant(completed_at), exercise_id, theme_id])
    practice.last_completed_at = completed_at
    week = monday_of(completed_at.astimezone(ZoneInfo(practice.time_zone)).date())
    if week > practice.streak_to + WEEK:
        practice.streak_from = week
    practice.streak_to = week
    _sum_up(practice, before=completed_at - SETTLING)


def _sum_up(practice: Practice, *, before: datetime) -> None:
    """Fold the listed runs completed before `before` into the summary."""
    if before <= practice.summary_before:
        return
    # The list is oldest first, so what moves is its beginning, and each entry is newer than
    # everything already summed up.
    moving = [entry for entry in practice.latest if datetime.fromisoformat(entry[0]) < before]
    for at, exercise_id, theme_id in moving:
        practice.exercises_done[str(exercise_id)] = at
        practice.themes_done[str(theme_id)] = at
    practice.recent = ([entry[1] for entry in reversed(moving)] + practice.recent)[:RECENT_RUNS_AVOIDED]
    practice.latest = practice.latest[len(moving) :]
    practice.summary_before = before


def practice_answers(practice: Practice, *, time_zone: str, now: datetime) -> bool:
    """Whether the kept practice answers at `now`: counted in the person's zone, and nothing
    completed after `now` (a clock that went back). Then today began after the summary's end, as
    no local day is as long as SETTLING."""
    return practice.time_zone == time_zone and practice.last_completed_at <= now


def done_before(practice: Practice | None, *, start: datetime) -> DoneBefore:
    """What the pick needs of the runs completed before `start`: the start of a day the practice
    answers for (`practice_answers`), or of any day when it was counted from the runs before it."""
    if practice is None:
        return DoneBefore(exercises={}, themes={}, recent=set())
    exercises = {int(pk): datetime.fromisoformat(at) for pk, at in practice.exercises_done.items()}
    themes = {int(pk): datetime.fromisoformat(at) for pk, at in practice.themes_done.items()}
    recent = list(practice.recent)
    for at, exercise_id, theme_id in practice.latest:
        completed_at = datetime.fromisoformat(at)
        if completed_at >= start:
            break
        exercises[exercise_id] = themes[theme_id] = completed_at
        recent.insert(0, exercise_id)
    return DoneBefore(exercises=exercises, themes=themes, recent=set(recent[:RECENT_RUNS_AVOIDED]))


def streak_on(practice: Practice | None, *, monday: date) -> Streak:
    """Consecutive local weeks with a completed run, as of the week beginning on `monday` (no
    earlier than the newest week with one). Gentle: a week not yet done does not break the
    streak until it is over."""
    if practice is None:
        return Streak(weeks=0, this_week_done=False)
    this_week_done = practice.streak_to == monday
    last_counted = monday if this_week_done else monday - WEEK
    if practice.streak_to != last_counted:
        return Streak(weeks=0, this_week_done=False)
    first_counted = max(practice.streak_from, monday - STREAK_HORIZON)
    return Streak(weeks=(last_counted - first_counted) // WEEK + 1, this_week_done=this_week_done)


def _instant(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()

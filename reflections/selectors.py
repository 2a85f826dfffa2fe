"""Reads of the private journal. Every function here takes the author: there is no way to
ask for someone else's reflections. The one that takes several (a batch of look-back nudges)
answers with a number for each, never an entry."""

import calendar
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import local_day_start, local_today
from common.errors import NotFound
from common.weeks import monday_of, week_label
from exercises.models import Theme
from exercises.selectors import runs_completed_since
from reflections import crypto
from reflections.models import JournalDevice, JournalKey, Reflection


def reflections_for_author(
    *,
    author: User,
    theme: str | None = None,
    mood: int | None = None,
    run_id: int | None = None,
    session_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[Reflection]:
    """The author's journal, narrowed by whatever is given: a theme, a mood, a run, a session,
    written at or after `since` and before `until`. Only what is in the clear can be filtered:
    searching the words is the phone's, which alone can read them."""
    reflections = Reflection.objects.filter(author=author)
    filters = {
        "themes__slug": theme,
        "mood": mood,
        "run_id": run_id,
        "session_id": session_id,
        "occurred_at__gte": since,
        "occurred_at__lt": until,
    }
    reflections = reflections.filter(**{name: value for name, value in filters.items() if value is not None})
    return reflections.prefetch_related(Prefetch("themes", queryset=Theme.objects.only("slug")))


def reflection_for_author(*, author: User, reflection_id: int) -> Reflection:
    reflection = reflections_for_author(author=author).filter(pk=reflection_id).first()
    if reflection is None:
        raise NotFound("No such reflection among yours.", code="reflection_not_found")
    return reflection


def reflection_body(*, reflection: Reflection) -> str | None:
    """The words, if the server can read them: None once they are end to end encrypted."""
    return None if reflection.end_to_end else crypto.decrypt(reflection.body_ciphertext)


def journal_for_author(*, author: User) -> JournalKey | None:
    """The person's journal key as the server holds it (None: not end to end encrypted), with
    their devices, and `server_readable`: how many reflections the phone has still to move over."""
    journal = JournalKey.objects.filter(author=author).first()
    if journal is not None:
        journal.devices = list(JournalDevice.objects.filter(author=author).order_by("pk"))
        journal.server_readable = Reflection.objects.filter(author=author).exclude(body_ciphertext="").count()
    return journal


def journal_device_for_author(*, author: User, device_id: int) -> JournalDevice:
    device = JournalDevice.objects.filter(pk=device_id, author=author).first()
    if device is None:
        raise NotFound("No such device of your journal.", code="journal_device_not_found")
    return device


def has_reflected_on(*, author: User, run_id: int | None = None, session_id: int | None = None) -> bool:
    """Whether the author has written a reflection on this run, or on this live session."""
    cause = {"run_id": run_id, "session_id": session_id}
    return Reflection.objects.filter(author=author, **{k: v for k, v in cause.items() if v}).exists()


# Looking back, the person's own figures only


ON_THIS_DAY = {"month": 1, "quarter": 3, "year": 12}
ON_THIS_DAY_SLACK = timedelta(days=3)
TRENDS_WEEKS = 12


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    last_day = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last_day))


def on_this_day(*, author: User, now: datetime | None = None) -> dict[str, list[Reflection]]:
    """The entries written about a month, a quarter and a year before today (within three days
    either side, in the person's time zone), oldest first: ids and times, for the phone to
    decrypt and show."""
    return _on_this_day(authors=[author], now=now or timezone.now())[author.pk]


def on_this_day_counts(*, authors: list[User], now: datetime) -> dict[int, int]:
    """How many entries each person has on this day (on_this_day), for many people at once in
    one query: a number for each person's own weekly look-back, never an entry."""
    return {
        author_id: sum(len(entries) for entries in windows.values())
        for author_id, windows in _on_this_day(authors=authors, now=now).items()
    }


def _on_this_day(*, authors: list[User], now: datetime) -> dict[int, dict[str, list[Reflection]]]:
    windows = {author.pk: _windows_on_this_day(author=author, now=now) for author in authors}
    if not windows:
        return {}
    # Everyone's window of one name lies within a few days of everyone else's (time zones, a
    # month's end): one range per name covering them all reads them, and each person's own
    # windows are cut from it.
    in_any = Q()
    for name in ON_THIS_DAY:
        start = min(person[name][0] for person in windows.values())
        end = max(person[name][1] for person in windows.values())
        in_any |= Q(occurred_at__gte=start, occurred_at__lt=end)
    entries = Reflection.objects.filter(in_any, author__in=windows).only("pk", "author_id", "occurred_at")
    found = {author_id: {name: [] for name in ON_THIS_DAY} for author_id in windows}
    for entry in entries.order_by("occurred_at"):
        for name, (start, end) in windows[entry.author_id].items():
            if start <= entry.occurred_at < end:
                found[entry.author_id][name].append(entry)
    return found


def _windows_on_this_day(*, author: User, now: datetime) -> dict[str, tuple[datetime, datetime]]:
    today = local_today(user=author, now=now)
    windows = {}
    for name, months in ON_THIS_DAY.items():
        middle = local_day_start(user=author, day=_months_before(today, months))
        windows[name] = (middle - ON_THIS_DAY_SLACK, middle + timedelta(days=1) + ON_THIS_DAY_SLACK)
    return windows


def _mean(values: list[int]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def journal_trends(*, author: User, weeks: int = TRENDS_WEEKS, now: datetime | None = None) -> dict:
    """The person's own mood and energy week by week (their weeks, in their time zone), the
    themes they practised each week, and for each theme their mean mood and energy in the weeks
    they practised it and in the weeks they did not. Nobody else's, ever: it takes the author."""
    this_monday = monday_of(local_today(user=author, now=now))
    mondays = [this_monday - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    start = local_day_start(user=author, day=mondays[0])
    zone = ZoneInfo(author.time_zone)

    def monday(moment: datetime) -> date:
        return monday_of(moment.astimezone(zone).date())

    moods = {day: ([], []) for day in mondays}
    for occurred, mood, energy in Reflection.objects.filter(author=author, occurred_at__gte=start).values_list(
        "occurred_at", "mood", "energy"
    ):
        week = moods.get(monday(occurred))
        if week is not None:
            week[0].extend([mood] if mood else [])
            week[1].extend([energy] if energy else [])
    practised = {day: {} for day in mondays}
    for completed, theme in runs_completed_since(user=author, since=start).values_list(
        "completed_at", "exercise__theme__slug"
    ):
        week = practised.get(monday(completed))
        if week is not None:
            week[theme] = week.get(theme, 0) + 1
    themes = sorted({theme for week in practised.values() for theme in week})
    return {
        "weeks": [
            {
                "week": week_label(day),
                "mood": _mean(moods[day][0]),
                "energy": _mean(moods[day][1]),
                "entries": len(moods[day][0]),
                "practised": dict(sorted(practised[day].items())),
            }
            for day in mondays
        ],
        "themes": [
            {
                "theme": theme,
                "weeks_practised": sum(1 for day in mondays if theme in practised[day]),
                "mood_when_practised": _mean([m for day in mondays if theme in practised[day] for m in moods[day][0]]),
                "mood_otherwise": _mean([m for day in mondays if theme not in practised[day] for m in moods[day][0]]),
                "energy_when_practised": _mean(
                    [e for day in mondays if theme in practised[day] for e in moods[day][1]]
                ),
                "energy_otherwise": _mean([e for day in mondays if theme not in practised[day] for e in moods[day][1]]),
            }
            for theme in themes
        ],
    }

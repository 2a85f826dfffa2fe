"""Planning and delivering nudges, devices and preferences.

Planning writes rows keyed by a dedupe key (insert-or-ignore), so it can run any number of
times, in any number of workers. Delivery claims due nudges with a lease, checks each one again
just before sending (preferences, snooze, quiet hours, daily cap, still relevant), sends in
batches, records every attempt, prunes dead tokens and retries the rest with backoff.
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, TimeField, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import User
from accounts.selectors import local_day_start, public_person
from acknowledgements.models import Acknowledgement
from common.errors import Conflict, Invalid, NotFound
from events.services import events_record_each
from exercises.models import Run
from exercises.selectors import recommendation_for
from group_sessions.models import GroupSession
from orphans.models import Orphan
from nudges import tasks
from nudges.models import DeliveryAttempt, Device, Kind, Nudge, Preferences
from nudges.push import Push, push_backend
from nudges.selectors import preferences_for
from nudges.texts import render
from reflections.models import Reflection
from teams.models import Membership

SEEN_WINDOW = timedelta(minutes=10)
REFLECT_DELAY = timedelta(minutes=30)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PUSH_CHUNK = 100
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
RECONNECT_AFTER = timedelta(days=14)
# Local times at which planned kinds go out (the daily exercise has the person's own time).
WEEKLY_LOOKBACK_AT = (4, time(16, 0))  # Friday afternoon
RECONNECT_AT = time(11, 0)
# A planned nudge whose time passed longer ago than this (the planner was down) is not sent late.
PLANNING_GRACE = timedelta(hours=1)


# Planning: one row per nudge, never two


def _plan(rows: list[Nudge]) -> None:
    Nudge.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    if any(row.due_at <= timezone.now() + timedelta(seconds=5) for row in rows):
        transaction.on_commit(tasks.enqueue_delivery)


def nudge_seen(*, recipient_id: int, at: datetime) -> None:
    """Someone acknowledged this person: acknowledgements within one 10-minute window make one nudge."""
    window = int(at.timestamp() // SEEN_WINDOW.total_seconds())
    due = datetime.fromtimestamp((window + 1) * SEEN_WINDOW.total_seconds(), tz=ZoneInfo("UTC"))
    _plan([Nudge(user_id=recipient_id, kind=Kind.SEEN, dedupe_key=f"seen:{recipient_id}:{window}", due_at=due)])


def nudge_reflect_after_run(*, run: Run) -> None:
    _plan(
        [
            Nudge(
                user_id=run.user_id,
                kind=Kind.REFLECT_AFTER,
                dedupe_key=f"reflect_after:run:{run.pk}",
                due_at=run.completed_at + REFLECT_DELAY,
                context={"run_id": run.pk},
            )
        ]
    )


def nudge_reflect_after_session(*, session: GroupSession, user_ids: list[int]) -> None:
    _plan(
        [
            Nudge(
                user_id=user_id,
                kind=Kind.REFLECT_AFTER,
                dedupe_key=f"reflect_after:session:{session.pk}:{user_id}",
                due_at=session.ended_at + REFLECT_DELAY,
                context={"session_id": session.pk},
            )
            for user_id in user_ids
        ]
    )


def nudge_session_started(*, session: GroupSession, user_ids: list[int]) -> None:
    facts = {
        "session_id": session.pk,
        "started_by": public_person(session.started_by)["display_name"],
        "title": session.exercise.title,
        "team": session.team.name,
    }
    _plan(
        [
            Nudge(
                user_id=user_id,
                kind=Kind.SESSION_STARTED,
                dedupe_key=f"session_started:{session.pk}:{user_id}",
                due_at=timezone.now(),
                context=facts,
            )
            for user_id in user_ids
        ]
    )


def nudge_orphan_claimed(*, orphan) -> None:
    """To the poster: a teammate said "leave it with me"."""
    _plan(
        [
            Nudge(
                user_id=orphan.posted_by_id,
                kind=Kind.ORPHAN_CLAIMED,
                dedupe_key=f"orphan_claimed:{orphan.pk}:{orphan.claimed_by_id}",
                due_at=timezone.now(),
                context={"orphan_id": orphan.pk, "name": public_person(orphan.claimed_by)["display_name"], "title": orphan.title},
            )
        ]
    )


def nudge_orphan_reminder(*, orphan, claim) -> None:
    """To the claimant, if a week goes by with no progress on what they took on."""
    _plan(
        [
            Nudge(
                user_id=claim.actor_id,
                kind=Kind.ORPHAN_REMINDER,
                dedupe_key=f"orphan_reminder:{orphan.pk}:{claim.pk}",
                due_at=claim.created_at + timedelta(days=settings.ORPHAN_REMINDER_DAYS),
                context={"orphan_id": orphan.pk, "title": orphan.title, "claimed_at": claim.created_at.isoformat()},
            )
        ]
    )


def _local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    # zoneinfo resolves a wall time that DST skips or repeats; the dedupe key holds one per day.
    return datetime.combine(day, at, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _plan_for_groups(*, kind: str, people, day_of, key_of, now: datetime) -> int:
    """Plan `kind` for everyone in `people`, grouped by (time zone, local time): a few queries
    per group, never one per person. Returns how many rows were offered."""
    planned = 0
    groups = people.values_list("time_zone", "at").distinct()
    for zone_name, at in groups:
        zone = ZoneInfo(zone_name)
        today = now.astimezone(zone).date()
        for day in day_of(today):
            due = _local_instant(day, at, zone)
            if not now - PLANNING_GRACE <= due <= now + timedelta(hours=36):
                continue
            already = Nudge.objects.filter(user=OuterRef("pk"), kind=kind, planned_for=day)
            user_ids = people.filter(time_zone=zone_name, at=at).exclude(Exists(already)).values_list("pk", flat=True)
            rows = [
                Nudge(user_id=uid, kind=kind, dedupe_key=key_of(uid, day), planned_for=day, due_at=due)
                for uid in user_ids.iterator(chunk_size=2000)
            ]
            _plan(rows)
            planned += len(rows)
    return planned


def _people(flag: str, at=None):
    """Active people who have not turned this kind off, with the local time it goes out."""
    return (
        User.objects.filter(is_active=True, organisation__isnull=False)
        .annotate(enabled=Coalesce(f"nudge_preferences__{flag}", True), at=at)
        .filter(enabled=True)
    )


@transaction.atomic
def nudges_plan(*, now: datetime | None = None) -> int:
    """Plan the clock-driven nudges (daily exercise, weekly look-back, reconnect) for the coming
    hours, in everyone's own time zone. Safe to run often and from several workers at once."""
    now = now or timezone.now()
    weekday, lookback_at = WEEKLY_LOOKBACK_AT
    planned = _plan_for_groups(
        kind=Kind.DAILY_EXERCISE,
        people=_people("daily_exercise", Coalesce("nudge_preferences__daily_exercise_at", Value(time(9, 0)))),
        day_of=lambda today: [today, today + timedelta(days=1)],
        key_of=lambda uid, day: f"daily_exercise:{uid}:{day.isoformat()}",
        now=now,
    )
    planned += _plan_for_groups(
        kind=Kind.WEEKLY_LOOKBACK,
        people=_people("weekly_lookback", Value(lookback_at, output_field=TimeField())),
        day_of=lambda today: [today + timedelta(days=(weekday - today.weekday()) % 7)],
        key_of=lambda uid, day: f"weekly_lookback:{uid}:{day.isocalendar()[0]}-{day.isocalendar()[1]}",
        now=now,
    )
    quiet_for_a_while = ~Exists(
        Acknowledgement.objects.filter(sender=OuterRef("pk"), created_at__gte=now - RECONNECT_AFTER)
    )
    recent_reconnect = Exists(
        Nudge.objects.filter(user=OuterRef("pk"), kind=Kind.RECONNECT, created_at__gte=now - RECONNECT_AFTER)
    )
    planned += _plan_for_groups(
        kind=Kind.RECONNECT,
        people=_people("reconnect", Value(RECONNECT_AT, output_field=TimeField()))
        .filter(quiet_for_a_while, date_joined__lte=now - RECONNECT_AFTER)
        .exclude(recent_reconnect),
        day_of=lambda today: [today],
        key_of=lambda uid, day: f"reconnect:{uid}:{day.isoformat()}",
        now=now,
    )
    return planned


# Delivery


@dataclass
class _Decision:
    send: bool = False
    skip: str = ""
    defer_until: datetime | None = None


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


def _still_relevant(nudge: Nudge, user: User, local: datetime) -> str:
    """Empty if the nudge still makes sense now, else why not."""
    day_start = local_day_start(user=user, day=local.date())
    if nudge.kind in (Kind.DAILY_EXERCISE, Kind.WEEKLY_LOOKBACK) and (local.date() - nudge.planned_for).days > 1:
        return "stale"  # quiet hours may carry one over to the next morning, not further
    if nudge.kind == Kind.DAILY_EXERCISE:
        if Run.objects.filter(user=user, completed_at__gte=day_start).exists():
            return "already_done"
    elif nudge.kind == Kind.REFLECT_AFTER:
        cause = {"run_id": nudge.context.get("run_id"), "session_id": nudge.context.get("session_id")}
        if Reflection.objects.filter(author=user, **{k: v for k, v in cause.items() if v}).exists():
            return "already_reflected"
    elif nudge.kind == Kind.SESSION_STARTED:
        if not GroupSession.objects.filter(pk=nudge.context["session_id"]).exclude(phase="ended").exists():
            return "session_over"
    elif nudge.kind == Kind.RECONNECT:
        if Acknowledgement.objects.filter(sender=user, created_at__gte=nudge.created_at).exists():
            return "already_reconnected"
    elif nudge.kind == Kind.ORPHAN_CLAIMED:
        if not Orphan.objects.filter(pk=nudge.context["orphan_id"], status=Orphan.Status.CLAIMED).exists():
            return "no_longer_claimed"
    elif nudge.kind == Kind.ORPHAN_REMINDER:
        claimed_at = datetime.fromisoformat(nudge.context["claimed_at"])
        still_quiet = Orphan.objects.filter(
            pk=nudge.context["orphan_id"], status=Orphan.Status.CLAIMED, claimed_by=user, last_activity_at__lte=claimed_at
        )
        if not still_quiet.exists():
            return "moved_on"
    return ""


def _decide(nudge: Nudge, *, now: datetime, sent_today: int) -> _Decision:
    user = nudge.user
    preferences = preferences_for(user=user)
    local = now.astimezone(ZoneInfo(user.time_zone))
    if not user.is_active:
        return _Decision(skip="inactive")
    if not getattr(preferences, nudge.kind):
        return _Decision(skip="opted_out")
    if preferences.snoozed_until and preferences.snoozed_until > now:
        return _Decision(skip="snoozed")
    reason = _still_relevant(nudge, user, local)
    if reason:
        return _Decision(skip=reason)
    if _in_quiet_hours(local.time(), preferences.quiet_start, preferences.quiet_end):
        return _Decision(defer_until=_quiet_hours_end(local, preferences.quiet_end))
    if sent_today >= preferences.daily_cap:
        return _Decision(skip="daily_cap")
    return _Decision(send=True)


def _facts(nudge: Nudge, user: User, local: datetime) -> dict | None:
    """What the text needs, read just before sending; None if there is nothing worth saying."""
    if nudge.kind == Kind.DAILY_EXERCISE:
        exercise = recommendation_for(user=user, day=local.date())
        return {"title": exercise.title, "minutes": exercise.duration_minutes} if exercise else None
    if nudge.kind == Kind.SEEN:
        day_start = local_day_start(user=user, day=local.date())
        senders = Acknowledgement.objects.filter(recipient=user, created_at__gte=day_start).values("sender_id")
        return {"count": max(senders.distinct().count(), 1)}
    if nudge.kind == Kind.WEEKLY_LOOKBACK:
        week_start = local_day_start(user=user, day=local.date() - timedelta(days=local.weekday()))
        return {
            "exercises": Run.objects.filter(user=user, completed_at__gte=week_start).count(),
            "acknowledgements": Acknowledgement.objects.filter(sender=user, created_at__gte=week_start).count(),
        }
    if nudge.kind == Kind.RECONNECT:
        teammates = Membership.objects.filter(team__memberships__user=user, user__is_active=True).exclude(user=user)
        acknowledged = Acknowledgement.objects.filter(sender=user).values("recipient_id")
        mate = teammates.exclude(user_id__in=acknowledged).select_related("user").order_by("user_id").first()
        return {"name": public_person(mate.user)["display_name"]} if mate else None
    return dict(nudge.context)


def _claim(*, now: datetime, limit: int) -> list[Nudge]:
    """Take up to `limit` due nudges for this worker. Other workers skip them while leased."""
    with transaction.atomic():
        free = Q(lease_until=None) | Q(lease_until__lt=now)
        ids = list(
            Nudge.objects.select_for_update(skip_locked=True)
            .filter(free, status=Nudge.Status.PENDING, due_at__lte=now)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        Nudge.objects.filter(pk__in=ids).update(lease_until=now + LEASE)
    return list(Nudge.objects.filter(pk__in=ids).select_related("user", "user__nudge_preferences").order_by("pk"))


def _backoff_seconds(attempts: int, retry_after: int | None) -> float:
    delay = min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS) * random.uniform(0.5, 1.5)
    return max(delay, retry_after or 0)


def nudges_deliver(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send what is due, in batches. Returns how many nudges this call handled."""
    now = now or timezone.now()
    claimed = _claim(now=now, limit=limit)
    if not claimed:
        return 0
    with transaction.atomic():
        going = _prepare(claimed, now=now)
    reachable = _devices_still_to_reach(going)
    outgoing = [(nudge, device) for nudge in going for device in reachable.get(nudge.pk, [])]
    # Pushes go out in chunks, each recorded as soon as FCM answers: a worker that dies mid-batch
    # leaves at most one chunk unrecorded, to be sent again by the next worker.
    for start in range(0, len(outgoing), PUSH_CHUNK):
        chunk = outgoing[start : start + PUSH_CHUNK]
        results = push_backend().send(
            [Push(token=d.token, title=n.title, body=n.body, kind=n.kind, nudge_id=n.pk) for n, d in chunk]
        )
        _record_attempts(chunk, results, now=now)
    _settle(going, now=now)
    return len(claimed)


def _sent_today(nudges: list[Nudge], *, now: datetime) -> dict[int, int]:
    """How many nudges each person got today, in their own day (one query for the batch)."""
    starts = {
        n.user_id: local_day_start(user=n.user, day=now.astimezone(ZoneInfo(n.user.time_zone)).date()) for n in nudges
    }
    counts = dict.fromkeys(starts, 0)
    sent = Nudge.objects.filter(user_id__in=starts, sent_at__gte=min(starts.values())).values_list("user_id", "sent_at")
    for user_id, sent_at in sent:
        if sent_at >= starts[user_id]:
            counts[user_id] += 1
    return counts


def _prepare(claimed: list[Nudge], *, now: datetime) -> list[Nudge]:
    """Decide each claimed nudge's fate. Those that go get their text and their in-app copy
    (inbox and event stream); a nudge decided earlier (a retry) only finishes its pushes."""
    sent_today = _sent_today(claimed, now=now)
    going, first_time, skipped = [], [], {}
    for nudge in claimed:
        if nudge.sent_at is not None:
            going.append(nudge)
            continue
        decision = _decide(nudge, now=now, sent_today=sent_today[nudge.user_id])
        if decision.defer_until:
            Nudge.objects.filter(pk=nudge.pk).update(due_at=decision.defer_until, lease_until=None)
            continue
        local = now.astimezone(ZoneInfo(nudge.user.time_zone))
        facts = _facts(nudge, nudge.user, local) if decision.send else None
        if facts is None:
            skipped.setdefault(decision.skip or "nothing_to_say", []).append(nudge.pk)
            continue
        text = render(kind=nudge.kind, locale=nudge.user.locale, facts=facts)
        nudge.title, nudge.body, nudge.sent_at = text.title[:120], text.body[:300], now
        sent_today[nudge.user_id] += 1
        going.append(nudge)
        first_time.append(nudge)
    for reason, ids in skipped.items():
        Nudge.objects.filter(pk__in=ids).update(status=Nudge.Status.SKIPPED, reason=reason, lease_until=None)
    same_text: dict[tuple[str, str], list[int]] = {}
    for nudge in first_time:
        same_text.setdefault((nudge.title, nudge.body), []).append(nudge.pk)
    for (title, body), ids in same_text.items():
        Nudge.objects.filter(pk__in=ids).update(title=title, body=body, sent_at=now)
    events_record_each(
        entries=[
            (n.user_id, "nudge", {"nudge_id": n.pk, "kind": n.kind, "title": n.title, "body": n.body})
            for n in first_time
        ]
    )
    return going


def _devices_still_to_reach(nudges: list[Nudge]) -> dict[int, list[Device]]:
    """Each nudge's active devices that have not had it yet (two queries for the batch)."""
    reached = set(
        DeliveryAttempt.objects.filter(nudge__in=nudges, outcome=DeliveryAttempt.Outcome.SENT).values_list(
            "nudge_id", "device_id"
        )
    )
    devices: dict[int, list[Device]] = {}
    for device in Device.objects.filter(user_id__in={n.user_id for n in nudges}, active=True).order_by("pk"):
        devices.setdefault(device.user_id, []).append(device)
    return {
        nudge.pk: [d for d in devices.get(nudge.user_id, []) if (nudge.pk, d.pk) not in reached] for nudge in nudges
    }


@transaction.atomic
def _record_attempts(outgoing: list, results: list, *, now: datetime) -> None:
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            nudge=nudge, device=device, outcome=result.outcome, error_code=result.error_code[:40],
            message_id=result.message_id[:200], retry_after=result.retry_after, at=now,
        )
        for (nudge, device), result in zip(outgoing, results)
    )
    dead = [device.pk for (_, device), result in zip(outgoing, results) if result.outcome == "dead_token"]
    Device.objects.filter(pk__in=dead).update(active=False, deactivated_reason="unregistered", updated_at=now)


@transaction.atomic
def _settle(going: list[Nudge], *, now: datetime) -> None:
    """Each nudge sent, or retried later (after the longest Retry-After asked), or failed."""
    retries: dict[int, list] = {}
    for attempt in DeliveryAttempt.objects.filter(nudge__in=going, at=now, outcome=DeliveryAttempt.Outcome.RETRY):
        retries.setdefault(attempt.nudge_id, []).append(attempt)
    done = [nudge.pk for nudge in going if nudge.pk not in retries]
    Nudge.objects.filter(pk__in=done).update(status=Nudge.Status.SENT, lease_until=None)
    for nudge in (n for n in going if n.pk in retries):
        attempts, reason = nudge.attempts + 1, retries[nudge.pk][0].error_code
        if attempts >= MAX_ATTEMPTS:
            Nudge.objects.filter(pk=nudge.pk).update(
                status=Nudge.Status.FAILED, attempts=attempts, reason=reason, lease_until=None
            )
            continue
        wait = _backoff_seconds(attempts, max(a.retry_after or 0 for a in retries[nudge.pk]))
        Nudge.objects.filter(pk=nudge.pk).update(
            attempts=attempts, due_at=now + timedelta(seconds=wait), lease_until=None, reason=reason
        )


# What people do with nudges and devices


@transaction.atomic
def nudge_opened(*, user: User, nudge_id: int) -> Nudge:
    nudge = Nudge.objects.filter(pk=nudge_id, user=user, sent_at__isnull=False).first()
    if nudge is None:
        raise NotFound("No such nudge among yours.", code="nudge_not_found")
    if nudge.opened_at is None:
        nudge.opened_at = timezone.now()
        nudge.save(update_fields=["opened_at"])
    return nudge


@transaction.atomic
def device_register(
    *, user: User, token: str, platform: str, app_version: str = "", locale: str = ""
) -> tuple[Device, bool]:
    """Register or refresh a token; True if it is new.

    A token someone else registered moves to the person registering it within an organisation
    (a shared phone). Across organisations it moves only once the other registration is gone
    (its owner signed out on that device, or everywhere) or has been idle for
    DEVICE_TAKEOVER_IDLE_DAYS; otherwise whoever learned a token could take a person's pushes
    away. The refusal never says whose the token is.
    """
    if not token.strip():
        raise Invalid("A registration token is needed.", code="blank", field="token")
    if platform not in Device.Platform.values:
        raise Invalid("Unknown platform.", code="invalid_choice", field="platform")
    held = Device.objects.select_for_update(of=("self",)).select_related("user").filter(token=token.strip()).first()
    if held is not None and not _may_take_over(device=held, user=user):
        raise Conflict("This device is signed in to another account; sign out there first.", code="device_in_use")
    return Device.objects.update_or_create(
        token=token.strip(),
        defaults={
            "user": user, "platform": platform, "app_version": app_version, "locale": locale,
            "active": True, "deactivated_reason": "", "updated_at": timezone.now(),
        },
    )


def _may_take_over(*, device: Device, user: User) -> bool:
    same_organisation = device.user.organisation_id is not None and device.user.organisation_id == user.organisation_id
    idle_since = timezone.now() - timedelta(days=settings.DEVICE_TAKEOVER_IDLE_DAYS)
    return device.user_id == user.pk or same_organisation or device.updated_at <= idle_since


@transaction.atomic
def device_remove(*, user: User, token: str) -> None:
    deleted, _ = Device.objects.filter(user=user, token=token).delete()
    if not deleted:
        raise NotFound("No such device among yours.", code="device_not_found")


def devices_remove_all(*, user: User) -> int:
    deleted, _ = Device.objects.filter(user=user).delete()
    return deleted


PREFERENCE_FIELDS = (
    *Kind.values, "daily_exercise_at", "quiet_start", "quiet_end", "daily_cap", "snoozed_until",
)


@transaction.atomic
def preferences_update(*, user: User, **changes) -> Preferences:
    unknown = set(changes) - set(PREFERENCE_FIELDS)
    if unknown:
        raise Invalid(f"Unknown preference {sorted(unknown)[0]!r}.", code="unknown_field")
    cap = changes.get("daily_cap")
    if cap is not None and not 1 <= cap <= 5:
        raise Invalid("A daily cap from 1 to 5.", code="out_of_range", field="daily_cap")
    preferences, _ = Preferences.objects.select_for_update().get_or_create(user=user)
    for name, value in changes.items():
        setattr(preferences, name, value)
    preferences.save()
    return preferences

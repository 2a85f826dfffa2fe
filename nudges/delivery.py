"""Delivery: claim due nudges with a lease, re-check each, put what goes in the inbox and on the
event stream, push it, record every attempt, and settle: sent, retried with backoff, or failed.

Safe with several workers at once: a claimed nudge is leased, and a worker that dies mid-batch
loses nothing (its lease runs out; the next worker skips devices that already got the nudge).
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from events.services import events_record_each
from nudges.kinds import KINDS, render
from nudges.models import DeliveryAttempt, Device, Nudge
from nudges.push import Push, push_backend
from nudges.recheck import decide, sent_today_by_person

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
PUSH_CHUNK = 100
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


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
        results = push_backend().send([_push(nudge, device) for nudge, device in chunk])
        _record_attempts(chunk, results, now=now)
    _settle(going, now=now)
    return len(claimed)


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


def _prepare(claimed: list[Nudge], *, now: datetime) -> list[Nudge]:
    """Decide each claimed nudge's fate. Those that go get their text and their in-app copy
    (inbox and event stream); a nudge decided earlier (a retry) only finishes its pushes."""
    counts = sent_today_by_person(nudges=claimed, now=now)
    going, first_time, skipped = [], [], {}
    for nudge in claimed:
        if nudge.sent_at is not None:
            going.append(nudge)
            continue
        decision = decide(nudge=nudge, now=now, sent_today=counts[nudge.user_id])
        if decision.defer_until:
            Nudge.objects.filter(pk=nudge.pk).update(due_at=decision.defer_until, lease_until=None)
            continue
        local = now.astimezone(ZoneInfo(nudge.user.time_zone))
        facts = KINDS[nudge.kind].facts(nudge=nudge, user=nudge.user, local=local) if decision.send else None
        if facts is None:
            skipped.setdefault(decision.skip or "nothing_to_say", []).append(nudge.pk)
            continue
        text = render(kind=nudge.kind, locale=nudge.user.locale, facts=facts)
        nudge.title, nudge.body, nudge.sent_at = text.title[:120], text.body[:300], now
        counts[nudge.user_id] += 1
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


def _push(nudge: Nudge, device: Device) -> Push:
    return Push(
        token=device.token,
        title=nudge.title,
        body=nudge.body,
        kind=nudge.kind,
        nudge_id=nudge.pk,
        collapse_key=KINDS[nudge.kind].collapse_key,
    )


@transaction.atomic
def _record_attempts(outgoing: list, results: list, *, now: datetime) -> None:
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            nudge=nudge,
            device=device,
            outcome=result.outcome,
            error_code=result.error_code[:40],
            message_id=result.message_id[:200],
            retry_after=result.retry_after,
            at=now,
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


def _backoff_seconds(attempts: int, retry_after: int | None) -> float:
    """Exponential with jitter, never sooner than FCM's Retry-After."""
    delay = min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS) * random.uniform(0.5, 1.5)
    return max(delay, retry_after or 0)

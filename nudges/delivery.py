"""Delivery: claim due nudges with a lease, re-check each, put what goes in the inbox and on the
event stream, push it, record every attempt, and settle: sent, retried with backoff, or failed.

Safe with several workers at once. A claim leases its nudges under a fresh token, and every
later step (preparing, each chunk's send, recording, settling) goes on only with the nudges
whose token is still this worker's. A worker that dies mid-batch loses nothing: its lease runs
out and the next worker skips devices that already got the nudge. One whose batch outlived its
lease sends and records nothing more of it, so the worker that took over is never doubled.

Queries are per batch and per chunk, never per push.
"""

import random
import time
from datetime import datetime, timedelta
from itertools import chain

from django.db import connection, transaction
from django.utils import timezone

from events.services import events_record_each
from nudges.kinds import KINDS, render
from nudges.leases import Lease, held, holding, lease_due
from nudges.models import DeliveryAttempt, Device, Nudge
from nudges.push import Push, PushResult, push_backend
from nudges.recheck import decide, read_ahead, sent_today_by_person, zone

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
BATCH = 500
# Pushes go out in chunks, each recorded as soon as FCM answers: a worker that dies mid-batch
# leaves at most one chunk unrecorded, to be sent again by the next worker.
PUSH_CHUNK = 100
BACKOFF_FIRST_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600


def nudges_deliver(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send one batch of what is due. Returns how many nudges it claimed."""
    now = now or timezone.now()
    lease = lease_due(now=now, limit=limit, length=LEASE)
    if not lease.nudges:
        return 0
    going = _prepare(lease, now=now)
    reachable = _devices_still_to_reach(lease, going)
    outgoing = [(nudge, device) for nudge in going for device in reachable.get(nudge.pk, [])]
    retries: dict[int, list[PushResult]] = {}
    for start in range(0, len(outgoing), PUSH_CHUNK):
        for nudge, result in _send_chunk(lease, outgoing[start : start + PUSH_CHUNK], now=now):
            if result.outcome == DeliveryAttempt.Outcome.RETRY:
                retries.setdefault(nudge.pk, []).append(result)
    _settle(lease, going, retries, now=now)
    return len(lease.nudges)


def nudges_deliver_due(*, seconds: float) -> int:
    """Batch after batch while nudges are due, for about `seconds` at most; a longer backlog
    goes on in the next delivery task (the clock enqueues one every 20 seconds), on whichever
    worker is free. Returns how many nudges it handled."""
    stop, handled = time.monotonic() + seconds, 0
    while batch := nudges_deliver():
        handled += batch
        if time.monotonic() >= stop:
            break
    return handled


@transaction.atomic
def _prepare(lease: Lease, *, now: datetime) -> list[Nudge]:
    """Decide each claimed nudge's fate. Those that go get their text and their in-app copy
    (inbox and event stream); a nudge decided earlier (a retry) only finishes its pushes."""
    ours = held(lease, lock=True)
    claimed = [n for n in lease.nudges if n.pk in ours]
    counts = sent_today_by_person(nudges=claimed, now=now) if claimed else {}
    read_ahead(nudges=[n for n in claimed if n.sent_at is None], now=now)
    going, first_time, skipped, deferred = [], [], {}, {}
    for nudge in claimed:
        if nudge.sent_at is not None:
            going.append(nudge)
            continue
        decision = decide(nudge=nudge, now=now, sent_today=counts[nudge.user_id])
        if decision.defer_until:
            deferred.setdefault(decision.defer_until, []).append(nudge.pk)
            continue
        local = now.astimezone(zone(nudge.user.time_zone))
        facts = KINDS[nudge.kind].facts(nudge=nudge, user=nudge.user, local=local) if decision.send else None
        if facts is None:
            skipped.setdefault(decision.skip or "nothing_to_say", []).append(nudge.pk)
            continue
        text = render(kind=nudge.kind, locale=nudge.user.locale, facts=facts)
        nudge.title, nudge.body, nudge.sent_at = text.title[:120], text.body[:300], now
        counts[nudge.user_id] += 1
        going.append(nudge)
        first_time.append(nudge)
    for due_at, ids in deferred.items():
        Nudge.objects.filter(pk__in=ids).update(due_at=due_at, lease_until=None, lease_token=None)
    for reason, ids in skipped.items():
        Nudge.objects.filter(pk__in=ids).update(
            status=Nudge.Status.SKIPPED, reason=reason, lease_until=None, lease_token=None
        )
    if first_time:
        _texts_write(first_time, sent_at=now)
    events_record_each(
        entries=[
            (n.user_id, "nudge", {"nudge_id": n.pk, "kind": n.kind, "title": n.title, "body": n.body})
            for n in first_time
        ]
    )
    return going


def _texts_write(nudges: list[Nudge], *, sent_at: datetime) -> None:
    """Each nudge's own title and body, and when it was sent, in one UPDATE from a list of values
    (columns column1... in both databases); one per distinct text, or bulk_update, cost twice."""
    table, values = Nudge._meta.db_table, ", ".join(["(%s, %s, %s)"] * len(nudges))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET title = v.column2, body = v.column3, sent_at = %s "
            f"FROM (VALUES {values}) AS v WHERE {table}.id = v.column1",
            [sent_at, *chain.from_iterable((nudge.pk, nudge.title, nudge.body) for nudge in nudges)],
        )


def _devices_still_to_reach(lease: Lease, nudges: list[Nudge]) -> dict[int, list[Device]]:
    """Each nudge's active devices that have not had it yet (two queries for the batch)."""
    reached = set(
        DeliveryAttempt.objects.filter(
            nudge__lease_token=lease.token, outcome=DeliveryAttempt.Outcome.SENT
        ).values_list("nudge_id", "device_id")
    )
    people = Nudge.objects.filter(lease_token=lease.token).values("user_id")
    devices: dict[int, list[Device]] = {}
    for device in Device.objects.filter(user_id__in=people, active=True).order_by("pk"):
        devices.setdefault(device.user_id, []).append(device)
    return {
        nudge.pk: [d for d in devices.get(nudge.user_id, []) if (nudge.pk, d.pk) not in reached] for nudge in nudges
    }


def _send_chunk(lease: Lease, chunk: list[tuple[Nudge, Device]], *, now: datetime) -> list[tuple[Nudge, PushResult]]:
    """Push what the lease still holds, then record the answers for what it still holds."""
    ours = held(lease)
    chunk = [(nudge, device) for nudge, device in chunk if nudge.pk in ours]
    if not chunk:
        return []
    results = push_backend().send([_push(nudge, device) for nudge, device in chunk])
    with transaction.atomic():
        ours = held(lease, lock=True)
        answered = [(nudge, device, result) for (nudge, device), result in zip(chunk, results) if nudge.pk in ours]
        DeliveryAttempt.objects.bulk_create(
            DeliveryAttempt(
                nudge_id=nudge.pk,
                device_id=device.pk,
                outcome=result.outcome,
                error_code=result.error_code[:40],
                message_id=result.message_id[:200],
                retry_after=result.retry_after,
                at=now,
            )
            for nudge, device, result in answered
        )
        dead = [device.pk for _, device, result in answered if result.outcome == DeliveryAttempt.Outcome.DEAD_TOKEN]
        if dead:
            Device.objects.filter(pk__in=dead).update(active=False, deactivated_reason="unregistered", updated_at=now)
    return [(nudge, result) for nudge, _, result in answered]


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
def _settle(lease: Lease, going: list[Nudge], retries: dict[int, list[PushResult]], *, now: datetime) -> None:
    """Each nudge the lease still holds: sent, or retried later (after the longest Retry-After
    asked), or failed; and its lease given back."""
    ours = holding(lease)
    released = {"lease_until": None, "lease_token": None}
    ours.exclude(pk__in=list(retries)).update(status=Nudge.Status.SENT, **released)
    for nudge in (n for n in going if n.pk in retries):
        attempts, reason = nudge.attempts + 1, retries[nudge.pk][0].error_code
        if attempts >= MAX_ATTEMPTS:
            ours.filter(pk=nudge.pk).update(status=Nudge.Status.FAILED, attempts=attempts, reason=reason, **released)
            continue
        wait = _backoff_seconds(attempts, max(r.retry_after or 0 for r in retries[nudge.pk]))
        ours.filter(pk=nudge.pk).update(
            attempts=attempts, due_at=now + timedelta(seconds=wait), reason=reason, **released
        )


def _backoff_seconds(attempts: int, retry_after: int | None) -> float:
    """Exponential with jitter, never sooner than FCM's Retry-After."""
    delay = min(BACKOFF_FIRST_SECONDS * 2 ** (attempts - 1), BACKOFF_MAX_SECONDS) * random.uniform(0.5, 1.5)
    return max(delay, retry_after or 0)

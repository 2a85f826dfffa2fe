"""Leases: how several workers share the due nudges without sending one twice.

A claim takes due nudges that nobody holds (`FOR UPDATE SKIP LOCKED` on PostgreSQL), for a
while, under a fresh token. Until the lease runs out, other workers pass them by; after it, the
next claim takes them over and writes its own token. The holder asks `held` before each step
that sends or writes, so a worker whose lease ran out (it stalled, or FCM was slow) does
nothing more with those nudges: the worker that took them over is never doubled.
"""

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet

from nudges.models import Nudge


@dataclass(frozen=True)
class Lease:
    token: uuid.UUID
    nudges: list[Nudge]
    ends: float  # when it runs out, on this process's monotonic clock


def lease_due(*, now: datetime, limit: int, length: timedelta) -> Lease:
    """Take up to `limit` nudges due at `now` for `length`, each with its person and preferences."""
    token, ends = uuid.uuid4(), time.monotonic() + length.total_seconds()
    free = Q(lease_until=None) | Q(lease_until__lt=now)
    due = (
        Nudge.objects.select_for_update(skip_locked=True)
        .filter(free, status=Nudge.Status.PENDING, due_at__lte=now)
        .order_by("due_at", "pk")
        .values("pk")[:limit]
    )
    with transaction.atomic():
        Nudge.objects.filter(pk__in=due).update(lease_until=now + length, lease_token=token)
    nudges = Nudge.objects.filter(lease_token=token).select_related("user", "user__nudge_preferences").order_by("pk")
    return Lease(token=token, nudges=list(nudges), ends=ends)


def holding(lease: Lease) -> QuerySet[Nudge]:
    """The nudges the lease still holds: those still bearing its token, and none at all once
    it might run out before one more request to FCM would end (FIREBASE_HTTP_TIMEOUT)."""
    if time.monotonic() + settings.FIREBASE_HTTP_TIMEOUT >= lease.ends:
        return Nudge.objects.none()
    return Nudge.objects.filter(lease_token=lease.token)


def held(lease: Lease, *, lock: bool = False) -> set[int]:
    """The ids of those nudges; with `lock`, locked until the transaction ends, so that nobody
    takes them over meanwhile."""
    rows = holding(lease)
    return set((rows.select_for_update() if lock else rows).values_list("pk", flat=True))

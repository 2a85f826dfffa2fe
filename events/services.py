"""Writing to people's event logs."""

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from events.channels import publish_each, user_group
from events.frames import event_frame
from events.models import Event, EventStream
from events.types import EVENT_TYPES


@transaction.atomic
def events_record(*, user_ids: Iterable[int], type: str, data: dict) -> list[Event]:
    """Append the same event to each person's log, inside the caller's transaction."""
    return events_record_each(entries=[(user_id, type, data) for user_id in set(user_ids)])


@transaction.atomic
def events_record_each(*, entries: list[tuple[int, str, dict]]) -> list[Event]:
    """Append events (person, type, data) to people's logs; push them after commit.

    Streams are locked in user-id order, so two writers that touch overlapping people cannot
    deadlock, and numbers are handed out with no gaps.
    """
    for _, type, data in entries:
        if EVENT_TYPES.get(type) != frozenset(data):
            raise ValueError(f"{type!r} with keys {sorted(data)} is not a documented event")
    counts = Counter(user_id for user_id, _, _ in entries)
    ids = sorted(counts)
    if not ids:
        return []
    EventStream.objects.bulk_create([EventStream(user_id=uid) for uid in ids], ignore_conflicts=True)
    # Lock in user-id order first (no deadlocks between writers), then move each counter on.
    list(EventStream.objects.select_for_update().filter(user_id__in=ids).order_by("user_id").values_list("pk"))
    by_count: dict[int, list[int]] = {}
    for user_id, count in counts.items():
        by_count.setdefault(count, []).append(user_id)
    for count, user_ids in by_count.items():
        EventStream.objects.filter(user_id__in=user_ids).update(last_number=F("last_number") + count)
    last = dict(EventStream.objects.filter(user_id__in=ids).values_list("user_id", "last_number"))
    next_number = {user_id: last[user_id] - counts[user_id] + 1 for user_id in ids}
    now = timezone.now()
    events = []
    for user_id, type, data in entries:
        events.append(Event(user_id=user_id, number=next_number[user_id], type=type, data=data, created_at=now))
        next_number[user_id] += 1
    Event.objects.bulk_create(events)
    messages = [(user_group(e.user_id), {"type": "stream.event", "event": event_frame(e)}) for e in events]
    transaction.on_commit(lambda: publish_each(messages))
    return events


@transaction.atomic
def events_prune(*, older_than: datetime) -> int:
    """Forget events older than the retention window; remember how far each log was pruned."""
    old = Event.objects.filter(created_at__lt=older_than)
    pruned = dict(old.values_list("user_id").annotate(last=Max("number")).values_list("user_id", "last"))
    for user_id, last in pruned.items():
        EventStream.objects.filter(user_id=user_id, pruned_through__lt=last).update(pruned_through=last)
    deleted, _ = old.delete()
    return deleted

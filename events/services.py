"""Writing to people's event logs."""

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from events.channels import publish, user_group
from events.models import Event, EventStream
from events.types import EVENT_TYPES


def event_frame(event: Event) -> dict:
    """An event as the client sees it (the documented frame)."""
    return {"id": event.number, "type": event.type, "at": event.created_at.isoformat(), "data": event.data}


@transaction.atomic
def events_record(*, user_ids: Iterable[int], type: str, data: dict) -> list[Event]:
    """Append one event to each person's log, inside the caller's transaction; push after commit.

    Streams are locked in user-id order, so two writers that touch overlapping people cannot
    deadlock, and numbers are handed out with no gaps.
    """
    if EVENT_TYPES.get(type) != frozenset(data):
        raise ValueError(f"{type!r} with keys {sorted(data)} is not a documented event")
    ids = sorted(set(user_ids))
    if not ids:
        return []
    EventStream.objects.bulk_create([EventStream(user_id=uid) for uid in ids], ignore_conflicts=True)
    streams = list(EventStream.objects.select_for_update().filter(user_id__in=ids).order_by("user_id"))
    now = timezone.now()
    events = []
    for stream in streams:
        stream.last_number += 1
        events.append(Event(user_id=stream.user_id, number=stream.last_number, type=type, data=data, created_at=now))
    EventStream.objects.bulk_update(streams, ["last_number"])
    Event.objects.bulk_create(events)
    frames = [(event.user_id, event_frame(event)) for event in events]
    transaction.on_commit(
        lambda: [publish(user_group(uid), {"type": "stream.event", "event": frame}) for uid, frame in frames]
    )
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

"""Reading people's event logs, for replay after a reconnect."""

from dataclasses import dataclass

from events.models import Event, EventStream

# More missed events than this and the client is better off reloading over HTTP.
REPLAY_LIMIT = 1000


@dataclass(frozen=True)
class Replay:
    events: list[Event]
    resync_required: bool
    last_number: int


def events_after(*, user_id: int, after: int) -> Replay:
    """The person's events numbered after `after`, or a request to resync when that is
    impossible (pruned past it, a number from the future, or too much to replay)."""
    stream = EventStream.objects.filter(user_id=user_id).first()
    last = stream.last_number if stream else 0
    pruned_through = stream.pruned_through if stream else 0
    if after > last or after < pruned_through:
        return Replay(events=[], resync_required=True, last_number=last)
    events = list(Event.objects.filter(user_id=user_id, number__gt=after).order_by("number")[: REPLAY_LIMIT + 1])
    if len(events) > REPLAY_LIMIT:
        return Replay(events=[], resync_required=True, last_number=last)
    return Replay(events=events, resync_required=False, last_number=events[-1].number if events else after)


def last_event_number(*, user_id: int) -> int:
    return EventStream.objects.filter(user_id=user_id).values_list("last_number", flat=True).first() or 0


def log_end() -> int:
    """Where everyone's log ends now, as a position in the whole log (see events_logged_after)."""
    return Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_logged_after(*, position: int, limit: int = 500) -> list[Event]:
    """Everyone's events written after this position in the whole log, oldest first: for a
    process that relays events other processes wrote (realtime.relay)."""
    return list(Event.objects.filter(pk__gt=position).order_by("pk")[:limit])

"""An event as the client sees it on the stream: the documented frame (README, "WebSocket
protocol"), the same whether pushed live, relayed or replayed."""

from events.models import Event


def event_frame(event: Event) -> dict:
    return {"id": event.number, "type": event.type, "at": event.created_at.isoformat(), "data": event.data}

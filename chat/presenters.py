"""What a team's lead sees of its chat channel: never the webhook address itself."""

from accounts.presenters import public_person
from chat.models import Channel

NOT_CONNECTED = "not_connected"


def channel_view(channel: Channel | None) -> dict:
    if channel is None:
        return {
            "status": NOT_CONNECTED,
            "kind": None,
            "url": None,
            "failure": None,
            "connected_at": None,
            "connected_by": None,
            "last_posted_at": None,
        }
    return {
        "status": channel.status,
        "kind": channel.kind,
        "url": channel.url_hint or None,
        "failure": channel.failure or None,
        "connected_at": channel.connected_at,
        "connected_by": public_person(channel.connected_by) if channel.connected_by else None,
        "last_posted_at": channel.last_posted_at,
    }

"""Where events go live: the channel-layer groups both the domain (publishing) and the
realtime door (subscribing) agree on, and the publishing itself.

Channel layers deliver at most once, so publishing never fails a change: the event is already
stored, and a client that missed the push catches up from the log.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def session_group(session_id: int) -> str:
    return f"session.{session_id}"


def pair_group(pair_id: int) -> str:
    return f"pair.{pair_id}"


def publish(group: str, message: dict) -> None:
    publish_each([(group, message)])


def publish_each(messages: list[tuple[str, dict]]) -> None:
    """Send (group, message) pairs through the channel layer in one go."""
    layer = get_channel_layer()
    if layer is None or not messages:
        return

    async def send_all():
        if hasattr(layer, "group_send_each"):  # the Redis layer: silent groups cost nothing more
            await layer.group_send_each(messages)
            return
        for group, message in messages:
            await layer.group_send(group, message)

    try:
        async_to_sync(send_all)()
    except Exception:  # the layer being down must not undo or fail a committed change
        logger.warning(
            "could not publish %d messages; clients will catch up on reconnect", len(messages), exc_info=True
        )

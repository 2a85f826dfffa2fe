"""Live events written by other processes, for the embedded default.

The in-memory channel layer lives inside one Daphne process, so an event written by the
background worker (another process) would only be seen on reconnect. Under the in-memory layer
each Daphne process therefore runs one relay that reads new events from the log every second
and pushes them to this process's streams; consumers drop what they already sent. With Redis,
every process publishes directly and no relay runs.
"""

import asyncio
import logging

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer

from events.channels import user_group
from events.frames import event_frame
from events.selectors import events_logged_after, log_end

logger = logging.getLogger(__name__)
POLL_SECONDS = 1.0
_relays: dict[asyncio.AbstractEventLoop, asyncio.Task] = {}


@database_sync_to_async
def _after(position: int) -> list[tuple[int, int, dict]]:
    return [(e.pk, e.user_id, event_frame(e)) for e in events_logged_after(position=position)]


async def _relay(layer) -> None:
    last = await database_sync_to_async(log_end)()
    while True:
        await asyncio.sleep(POLL_SECONDS)
        try:
            for pk, user_id, frame in await _after(last):
                await layer.group_send(user_group(user_id), {"type": "stream.event", "event": frame})
                last = pk
        except Exception:  # keep relaying whatever one poll ran into
            logger.exception("event relay poll failed")


def ensure_relay() -> None:
    """Start this process's relay if the channel layer is in memory and it is not running."""
    layer = get_channel_layer()
    if not isinstance(layer, InMemoryChannelLayer):
        return
    loop = asyncio.get_running_loop()
    if loop not in _relays or _relays[loop].done():
        _relays[loop] = loop.create_task(_relay(layer))

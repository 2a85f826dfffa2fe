"""Presence kept once per process rather than once per connection.

Every REALTIME_HEARTBEAT_SECONDS, one task per server process marks all of its open room
connections as seen, in one write per kind of room, then sweeps each room it holds a connection
in once (announcing who came or went, whoever's process died included). A room with two hundred
people costs a process the same few queries as a room with one, and the database calls of a
facilitator's command no longer wait in line behind two hundred heartbeats.
"""

import asyncio
import logging
from collections import defaultdict

from channels.db import database_sync_to_async
from django.conf import settings

logger = logging.getLogger(__name__)


class Keeper:
    """A process's room connections, by kind of room: a room consumer class, whose static
    `mark_seen(channel_names)` and `sweep(room_id)` run on each interval."""

    def __init__(self):
        self.connections: dict[type, dict[str, int]] = defaultdict(dict)  # channel name -> room id
        self.task: asyncio.Task | None = None

    def keep(self, room: type, channel_name: str, room_id: int) -> None:
        self.connections[room][channel_name] = room_id
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    def drop(self, room: type, channel_name: str) -> None:
        self.connections[room].pop(channel_name, None)

    async def _run(self) -> None:
        # Ends once the process holds no room connection; keep() starts it again.
        while any(self.connections.values()):
            await asyncio.sleep(settings.REALTIME_HEARTBEAT_SECONDS)
            held = {room: dict(connections) for room, connections in self.connections.items() if connections}
            try:
                await database_sync_to_async(beat)(held)
            except Exception:  # keep beating whatever one interval ran into
                logger.exception("presence heartbeat failed")


def beat(held: dict[type, dict[str, int]]) -> None:
    """One interval: each kind of room's connections marked seen in one write, each room swept once."""
    for room, connections in held.items():
        room.mark_seen(list(connections))
        for room_id in sorted(set(connections.values())):
            room.sweep(room_id)


_keepers: dict[asyncio.AbstractEventLoop, Keeper] = {}


def keeper() -> Keeper:
    """This process's keeper (one per event loop: a server runs one)."""
    return _keepers.setdefault(asyncio.get_running_loop(), Keeper())

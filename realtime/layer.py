"""The channel layers: the embedded default's when several server processes share a port, and
the Redis layer with many group sends in one go.

Channels' in-memory layer lives inside one process: a frame a facilitator's command sends to a
room would reach only the connections held by the process that ran the command. config.server
starts the processes and joins them: each gets one end of a socket (HUMBLE_PEERS_FD) on which
it writes every group send as a line of JSON, and from which it reads the lines the others
wrote, which it delivers to its own connections in the order they were sent. Channel names stay
within their process (nothing here sends to a channel by name across processes). With REDIS_URL
the Redis layer is used instead and none of this runs.
"""

import asyncio
import json
import logging
import os
import signal
import socket
import time

from channels.layers import InMemoryChannelLayer
from channels_redis.core import RedisChannelLayer as OneByOneRedisChannelLayer
from redis.asyncio import BlockingConnectionPool

logger = logging.getLogger(__name__)

# Connections to each Redis server, per process, as redis-py's default pool has.
POOL_SIZE = 100
POOL_WAIT_SECONDS = 10
LINE_LIMIT = 16 * 1024 * 1024  # a round's frame carries every share: far over asyncio's 64 KiB default


class PeerChannelLayer(InMemoryChannelLayer):
    def __init__(self, peers_fd: int, **kwargs):
        super().__init__(**kwargs)
        self.peers_fd = peers_fd
        self.peers: asyncio.Task | None = None

    async def group_add(self, group, channel):
        await self._writer()  # from the first subscriber on, this process hears the others
        await super().group_add(group, channel)

    async def group_send(self, group, message):
        await super().group_send(group, message)
        (await self._writer()).write(json.dumps([group, message]).encode() + b"\n")

    async def _writer(self) -> asyncio.StreamWriter:
        # One connection for the process, opened on the server's event loop the first time it is needed.
        if self.peers is None:
            self.peers = asyncio.ensure_future(self._connect())
        return await asyncio.shield(self.peers)

    async def _connect(self) -> asyncio.StreamWriter:
        reader, writer = await asyncio.open_unix_connection(sock=socket.socket(fileno=self.peers_fd), limit=LINE_LIMIT)
        asyncio.get_running_loop().create_task(self._deliver(reader))
        return writer

    async def _deliver(self, reader: asyncio.StreamReader) -> None:
        while line := await reader.readline():
            group, message = json.loads(line)
            await super().group_send(group, message)
        # The process that joined this one is gone: nobody would stop this one, and its rooms
        # would no longer hear the others.
        logger.error("the server's parent process has gone; stopping")
        os.kill(os.getpid(), signal.SIGTERM)


class RedisChannelLayer(OneByOneRedisChannelLayer):
    """channels_redis's layer, which can also send to many groups at once (`group_send_each`).

    Its `group_send` costs two round trips to Redis even for a group nobody listens to. A
    worker's batch of nudges puts each one's in-app copy on its person's stream, and most people
    have no stream open at that moment: one by one, that was most of a push's cost.
    """

    def create_pool(self, index: int) -> BlockingConnectionPool:
        """A pool whose callers wait for a free connection (up to POOL_WAIT_SECONDS) rather than
        fail: when a server's phones closed their streams together, each leaving its group at
        once, redis-py's default pool refused all past its hundredth (MaxConnectionsError)."""
        host = dict(self.hosts[index])
        if "address" not in host:  # Sentinel: channels_redis's own pool
            return super().create_pool(index)
        return BlockingConnectionPool.from_url(
            host.pop("address"), max_connections=POOL_SIZE, timeout=POOL_WAIT_SECONDS, **host
        )

    async def group_send_each(self, messages: list[tuple[str, dict]]) -> None:
        """Send each (group, message), in order: which groups have anyone in them is asked in one
        pipelined round trip per Redis server, and only those are sent to."""
        groups_by_server: dict[int, list[str]] = {}
        for group in dict.fromkeys(group for group, _ in messages):
            assert self.require_valid_group_name(group), "Group name not valid"
            groups_by_server.setdefault(self.consistent_hash(group), []).append(group)
        # A member whose score is this old has expired: group_send would drop it unsent.
        live_after = f"({int(time.time()) - self.group_expiry}"
        listened = set()
        for index, groups in groups_by_server.items():
            pipe = self.connection(index).pipeline(transaction=False)
            for group in groups:
                pipe.zcount(self._group_key(group), live_after, "+inf")
            listened.update(group for group, members in zip(groups, await pipe.execute()) if members)
        for group, message in messages:
            if group in listened:
                await self.group_send(group, message)

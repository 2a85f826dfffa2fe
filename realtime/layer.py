"""The channel layer of the embedded default when several server processes share a port.

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

from channels.layers import InMemoryChannelLayer

logger = logging.getLogger(__name__)

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

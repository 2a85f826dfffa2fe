"""`python -m config.server [daphne options] config.asgi:application`: Daphne on every core, with
request bodies bounded while they arrive.

Processes. WEB_PROCESSES Daphne processes (default: one per core this process may run on) serve
one port: this process binds it once, starts each of them with `--fd` on that socket (the kernel
hands each new connection to one of them), and then only watches. If one of them exits, it stops
the others and exits too, so a server never goes on short of a process without anyone noticing;
stopping it (SIGTERM, Ctrl-C) stops them all. Without REDIS_URL their in-memory channel layers
are joined through it (realtime.layer): each process gets one end of a socket pair, and every
line one of them writes is passed on to all the others. With WEB_PROCESSES=1, Daphne runs in
this process, as plain `daphne` would.

Bodies. Daphne (Twisted) takes a request's whole body in, then queues all of it for the
application, before any of our code runs: a 200 MB body would cost the process 200 MB whatever
the application then answers (config.body_limit refuses it, but only afterwards). Here each HTTP
request counts its body as Twisted hands it over: a declared Content-Length over the limit
(REQUEST_BODY_MAX_BYTES) is answered 413 as soon as the headers are in, a chunked body the
moment it passes the limit, and the connection is closed, so the rest is never read.
Every other option and behaviour is Daphne's own.
"""

import logging
import os
import selectors
import signal
import socket
import subprocess
import sys

from daphne import http_protocol
from daphne.cli import DEFAULT_HOST, DEFAULT_PORT, CommandLineInterface
from django.conf import settings

from config import env

logger = logging.getLogger("config.server")

PEERS_FD = "HUMBLE_PEERS_FD"  # the socket to the parent that joins the channel layers (realtime.layer)
BINDING_OPTIONS = ("-b", "--bind", "-p", "--port")


class BoundedRequest(http_protocol.WebRequest):
    refused = False
    body_bytes = 0

    def gotLength(self, length):
        super().gotLength(length)
        if length is not None and length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.refuse()

    def handleContentChunk(self, data):
        if self.refused:
            return
        self.body_bytes += len(data)
        if self.body_bytes > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            self.refuse()
            return
        super().handleContentChunk(data)

    def process(self):
        if not self.refused:
            return super().process()

    def refuse(self) -> None:
        """413 in the API's error body, then close: nothing more of this body is read."""
        from config.body_limit import REFUSAL  # needs Django set up, which loading the application does

        self.refused = True
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(REFUSAL), REFUSAL)
        )
        transport.loseConnection()


# Daphne's HTTP factory builds each request from this module attribute; nothing else changes.
http_protocol.WebRequest = BoundedRequest


def without_binding(argv: list[str]) -> list[str]:
    """Daphne's arguments less -b/--bind and -p/--port (and their values): each child listens
    on the socket it is given instead."""
    kept, skip = [], False
    for argument in argv:
        if skip:
            skip = False
        elif argument in BINDING_OPTIONS:
            skip = True
        elif not argument.startswith(("--bind=", "--port=")) and argument[:2] not in ("-b", "-p"):
            kept.append(argument)
    return kept


class Supervisor:
    """Binds the port, starts the Daphne processes on it, passes channel-layer lines between them,
    and stops them all when it is stopped or when any of them exits."""

    def __init__(self, argv: list[str], count: int):
        parser = CommandLineInterface().parser
        parser.allow_abbrev = False  # an abbreviated --bind or --port would slip past without_binding
        options = parser.parse_args(argv)
        if options.unix_socket or options.file_descriptor is not None or options.socket_strings:
            sys.exit("config.server: with WEB_PROCESSES above 1, bind with -b and -p (or set WEB_PROCESSES=1)")
        self.argv, self.count = argv, count
        self.address = (options.host or DEFAULT_HOST, options.port if options.port is not None else DEFAULT_PORT)
        self.stopping = False

    def run(self) -> int:
        try:
            listener = socket.create_server(self.address, backlog=1024)
        except OSError as error:
            sys.exit(f"config.server: cannot listen on {self.address[0]}:{self.address[1]}: {error}")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self.stop)
        arguments = [*without_binding(self.argv), "--fd", str(listener.fileno())]
        children, peers = [], []
        for _ in range(self.count):
            mine, theirs = socket.socketpair()
            children.append(
                subprocess.Popen(
                    [sys.executable, "-m", "config.server", *arguments],
                    env={**os.environ, "WEB_PROCESSES": "1", PEERS_FD: str(theirs.fileno())},
                    pass_fds=(listener.fileno(), theirs.fileno()),
                )
            )
            theirs.close()
            peers.append(mine)
        listener.close()  # the children hold it now
        print(
            f"config.server: {self.count} Daphne processes on {self.address[0]}:{self.address[1]} "
            f"(pids {', '.join(str(child.pid) for child in children)})",
            flush=True,
        )
        try:
            code = self.relay(children, peers)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        return code

    def stop(self, signum, frame) -> None:
        self.stopping = True

    def relay(self, children: list[subprocess.Popen], peers: list[socket.socket]) -> int:
        """Pass every whole line a child writes to all the other children, until stopped or a
        child exits (then that child's exit code, or 1 if it exited cleanly on its own)."""
        selector = selectors.DefaultSelector()
        for peer in peers:
            selector.register(peer, selectors.EVENT_READ)
        partial = {peer: b"" for peer in peers}
        while not self.stopping:
            for key, _ in selector.select(timeout=0.5):
                peer = key.fileobj
                try:
                    data = peer.recv(1 << 16)
                except OSError:
                    data = b""
                if not data:
                    selector.unregister(peer)  # its process is ending: the poll below sees it
                    continue
                lines, _, partial[peer] = (partial[peer] + data).rpartition(b"\n")
                if lines:
                    self.pass_on(lines + b"\n", [other for other in peers if other is not peer])
            for child in children:
                if child.poll() is not None and not self.stopping:
                    logger.error(
                        "server process %d exited with code %s; stopping the others", child.pid, child.returncode
                    )
                    return child.returncode or 1
        return 0

    @staticmethod
    def pass_on(lines: bytes, peers: list[socket.socket]) -> None:
        for peer in peers:
            try:
                peer.sendall(lines)
            except OSError:
                pass  # that process is ending: the relay's poll sees it


def main(argv: list[str]) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = env.integer("WEB_PROCESSES", default=cores or 1)
    if count <= 1:
        CommandLineInterface().run(argv)
        return
    logging.basicConfig(level=logging.INFO, format="%(asctime)-15s %(levelname)-8s %(message)s")
    sys.exit(Supervisor(argv, count).run())


if __name__ == "__main__":
    main(sys.argv[1:])

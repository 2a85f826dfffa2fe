"""Real Daphne processes on loopback (started as `make run` starts them, through config.server),
for the scaled tests and the benchmarks."""

import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_file_limit() -> None:
    """As many open files as allowed: thousands of WebSockets need thousands of descriptors."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


@contextmanager
def daphne_processes(count: int, *, env: dict, log_dir: Path | None = None, options: tuple[str, ...] = ()):
    """Start `count` Daphne processes with this environment (and these command-line options);
    yield [(host:port, pid)] once each answers /healthz, and stop them afterwards. Each is one
    process on its own port (WEB_PROCESSES=1) unless `env` says otherwise."""
    servers = []
    for _ in range(count):
        port = free_port()
        log = open(log_dir / f"daphne-{port}.log", "w") if log_dir else subprocess.DEVNULL
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "config.server",
                "-b",
                "127.0.0.1",
                "-p",
                str(port),
                *options,
                "config.asgi:application",
            ],
            cwd=ROOT,
            env={**os.environ, "WEB_PROCESSES": "1", **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=raise_file_limit,
        )
        servers.append((f"127.0.0.1:{port}", process))
    try:
        for address, process in servers:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if requests.get(f"http://{address}/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    pass
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"Daphne on {address} did not start (see its log)")
                time.sleep(0.2)
        yield [(address, process.pid) for address, process in servers]
    finally:
        for _, process in servers:
            process.terminate()
        for _, process in servers:
            process.wait(timeout=10)


def token(user) -> str:
    """An access token for `user`, as a phone sends it."""
    # Imported here: tools/bench loads this module before Django is set up.
    from rest_framework_simplejwt.tokens import AccessToken

    return str(AccessToken.for_user(user))


async def next_frame(ws, kind: str, *, wait: float = 10) -> dict:
    """The next frame of this type on a real WebSocket, passing over others."""
    while True:
        frame = json.loads(await asyncio.wait_for(ws.recv(), wait))
        if frame["type"] == kind:
            return frame

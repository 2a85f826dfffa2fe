"""`python -m config.server`, as `make run` starts it: several Daphne processes on one port, on
the embedded default's in-memory channel layer (no REDIS_URL), joined through the process that
started them. Which process holds a connection is read from /proc, so each test knows it has a
client on each process rather than hoping for it."""

import asyncio
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import websockets
from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import connection

from config.server import without_binding
from exercises.factories import group_exercise
from tests.daphne import ROOT, free_port, next_frame, raise_file_limit, token

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="finds which process holds a socket in /proc"),
]

PROCESSES = 2
WAIT = 10


def shared_database(var_dir: Path) -> dict:
    """The environment that points the server processes at the test database: on SQLite, the
    embedded default itself, its file linked into their var directory (SQLite follows the link,
    so every process uses the same WAL); on PostgreSQL, its URL."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        (var_dir / "humble.sqlite3").symlink_to(db["NAME"])
        return {"DATABASE_URL": ""}
    user, host, port = db.get("USER") or "postgres", db.get("HOST") or "127.0.0.1", db.get("PORT") or 5432
    return {"DATABASE_URL": f"postgres://{user}@{host}:{port}/{db['NAME']}"}


class Launched:
    def __init__(self, process: subprocess.Popen, port: int):
        self.process, self.port = process, port

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def holder(self, client: socket.socket) -> int:
        """The server process holding the other end of this client's connection (once one has
        accepted it: a new connection may wait in the listening queue for a moment)."""
        client_port = client.getsockname()[1]
        wanted = f"0100007F:{self.port:04X} 0100007F:{client_port:04X}"
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
            inode = next(line.split()[9] for line in lines if wanted in line)  # "0" until accepted
            for pid in self.children():
                if f"socket:[{inode}]" in descriptors(pid):
                    return pid
            time.sleep(0.05)
        raise AssertionError("no server process holds this connection")


def descriptors(pid: int) -> set[str]:
    found = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            found.add(os.readlink(f"/proc/{pid}/fd/{fd}"))
        except FileNotFoundError:
            continue  # closed meanwhile
    return found


def launch(tmp_path: Path) -> Launched:
    port = free_port()
    env = {
        **os.environ,
        "WEB_PROCESSES": str(PROCESSES),
        **shared_database(tmp_path),
        "REDIS_URL": "",
        "SECRET_KEY": settings.SECRET_KEY,
        "REFLECTION_KEYS": ",".join(settings.REFLECTION_KEYS),
        "HUMBLE_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "config.server", "-b", "127.0.0.1", "-p", str(port), "config.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=open(tmp_path / "server.log", "w"),
        stderr=subprocess.STDOUT,
        preexec_fn=raise_file_limit,
    )
    launched = Launched(process, port)
    deadline = time.monotonic() + 60
    while len(launched.children()) < PROCESSES or not answers(launched):
        if time.monotonic() > deadline or process.poll() is not None:
            stop(launched)
            raise RuntimeError(f"the server did not start; see {tmp_path / 'server.log'}")
        time.sleep(0.2)
    return launched


def answers(launched: Launched) -> bool:
    try:
        return requests.get(f"http://{launched.address}/healthz", timeout=5).ok
    except requests.RequestException:
        return False


def stop(launched: Launched) -> None:
    if launched.process.poll() is None:
        launched.process.terminate()
    launched.process.wait(timeout=20)


@pytest.fixture
def server(tmp_path):
    launched = launch(tmp_path)
    yield launched
    stop(launched)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"


async def connect_on(server: Launched, path: str, user, *, not_on: int | None = None):
    """A WebSocket to `path` as `user`, held by a server process other than `not_on` (new
    connections land on either process, so a few tries find one)."""
    for _ in range(64):
        ws = await websockets.connect(
            f"ws://{server.address}{path}",
            additional_headers={"Authorization": f"Bearer {await sync_to_async(token)(user)}"},
        )
        holder = await asyncio.to_thread(server.holder, ws.transport.get_extra_info("socket"))
        if holder != not_on:
            return ws, holder
        await ws.close()
    raise AssertionError("every connection landed on the same process")


def test_the_children_listen_on_the_socket_they_are_given_not_on_the_port():
    argv = ["-b", "0.0.0.0", "--port=8000", "-p8001", "--bind", "::", "--ping-interval", "5", "config.asgi:application"]
    assert without_binding(argv) == ["--ping-interval", "5", "config.asgi:application"]


def test_every_process_answers_on_the_one_port(server):
    assert len(server.children()) == PROCESSES
    answered_by = set()
    for _ in range(64):
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as client:
            answered_by.add(server.holder(client))
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        if answered_by == set(server.children()):
            break
    assert answered_by == set(server.children())


async def test_a_step_taken_on_one_process_reaches_a_room_held_by_another(server, lead, member, team):
    exercise = await sync_to_async(group_exercise)()
    started = await asyncio.to_thread(
        requests.post,
        f"http://{server.address}/api/v1/teams/{team.pk}/sessions",
        json={"exercise": exercise.slug, "client_id": str(uuid.uuid4())},
        headers={"Authorization": f"Bearer {await sync_to_async(token)(lead)}"},
        timeout=WAIT,
    )
    assert started.status_code == 201, started.text
    path = f"/ws/v1/sessions/{started.json()['id']}/"
    lead_room, lead_process = await connect_on(server, path, lead)
    member_room, _ = await connect_on(server, path, member, not_on=lead_process)
    version = (await next_frame(lead_room, "snapshot"))["session"]["version"]
    await next_frame(member_room, "snapshot")

    await lead_room.send(json.dumps({"type": "start", "version": version}))

    state = (await next_frame(member_room, "state"))["session"]
    assert (state["phase"], state["step"]) == ("step", 1)
    await lead_room.close()
    await member_room.close()


async def test_an_event_written_by_one_process_reaches_a_stream_held_by_another(server, member, teammate):
    stream, stream_process = await connect_on(server, "/ws/v1/events/", member)
    for _ in range(64):  # an HTTP connection held by the other process
        sender = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        sender.connect()
        if server.holder(sender.sock) != stream_process:
            break
        sender.close()
    body = {
        "recipient": member.pk,
        "message": "You saw what I meant",
        "behaviour": "saw_me",
        "visibility": "private",
        "client_id": str(uuid.uuid4()),
    }
    headers = {"Authorization": f"Bearer {await sync_to_async(token)(teammate)}", "Content-Type": "application/json"}
    sender.request("POST", "/api/v1/acknowledgements", body=json.dumps(body), headers=headers)
    sent = sender.getresponse()
    assert sent.status == 201
    received = await next_frame(stream, "acknowledgement.received")
    assert received["data"]["acknowledgement_id"] == json.loads(sent.read())["id"]
    sender.close()
    await stream.close()


def test_when_one_process_dies_the_others_are_stopped_too(server):
    first, second = server.children()
    os.kill(first, signal.SIGKILL)
    assert server.process.wait(timeout=20) != 0
    assert not alive(second)


def test_stopping_the_server_stops_every_process(server):
    children = server.children()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=20) == 0
    assert not any(alive(pid) for pid in children)

"""A client that completes the WebSocket upgrade and then goes silent, answering nothing (a phone
that lost its network without closing, a half-open socket), does not hold the server forever:
Daphne pings it, closes it when no pong comes, and the connection leaves its room.

Run against a real Daphne process (pings are the server's, not the application's), with the
ping interval and timeout shortened from Daphne's defaults (20 s and 30 s) so the test is quick.
The process shares the test database, which SQLite's WAL files do not survive well across
processes, so this runs in CI's PostgreSQL pass.
"""

import socket
import time

import pytest
from django.conf import settings
from django.db import connection
from rest_framework_simplejwt.tokens import AccessToken

from group_sessions.factories import GroupSessionFactory
from group_sessions.models import Connection
from tests.daphne import daphne_processes
from tests.test_scaled import database_url

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="shares the test database with a server process"),
]


@pytest.fixture
def quick_pinging_server(tmp_path):
    env = {
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "SECRET_KEY": settings.SECRET_KEY,
        "REFLECTION_KEYS": ",".join(settings.REFLECTION_KEYS),
        "HUMBLE_VAR_DIR": str(tmp_path),
    }
    options = ("--ping-interval", "1", "--ping-timeout", "2")
    with daphne_processes(1, env=env, log_dir=tmp_path, options=options) as servers:
        yield servers[0][0]


def silent_upgrade(address: str, path: str, token: str) -> socket.socket:
    """Upgrade to a WebSocket with a raw socket that will never send another byte."""
    host, port = address.split(":")
    client = socket.create_connection((host, int(port)), timeout=10)
    client.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Authorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    assert client.recv(4096).startswith(b"HTTP/1.1 101"), "the upgrade was refused"
    return client


def closed_by_server(client: socket.socket, *, within: float) -> bool:
    """Read (never answer) until the server closes the TCP connection."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if client.recv(65536) == b"":
                return True
        except ConnectionResetError:
            return True
        except TimeoutError:
            continue
    return False


def test_a_silent_half_open_room_connection_is_closed_and_leaves_the_room(quick_pinging_server, team, member):
    session = GroupSessionFactory(team=team, started_by=member)
    client = silent_upgrade(quick_pinging_server, f"/ws/v1/sessions/{session.pk}/", str(AccessToken.for_user(member)))
    client.settimeout(1)
    try:
        assert closed_by_server(client, within=15)
    finally:
        client.close()
    deadline = time.monotonic() + 10
    while Connection.objects.get(session=session, user=member).closed_at is None:
        assert time.monotonic() < deadline, "the room still counts the silent connection as open"
        time.sleep(0.2)

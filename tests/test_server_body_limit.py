"""A body over the limit is refused by the server as it arrives, not after it has been taken in:
a real Daphne process, as `make run` starts it, and a raw socket that sends the headers of a
huge request and then only a little of its body."""

import json
import socket

import pytest

from tests.daphne import daphne_processes

LIMIT = 100_000


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {"REQUEST_BODY_MAX_BYTES": str(LIMIT), "HUMBLE_VAR_DIR": str(tmp_path_factory.mktemp("var"))}
    with daphne_processes(1, env=env) as [(address, _)]:
        host, port = address.split(":")
        yield host, int(port)


def exchange(server, head: bytes, body: bytes) -> tuple[int, dict | None]:
    """Sends a request head and part of a body, then reads whatever the server answers."""
    with socket.create_connection(server, timeout=5) as connection:
        connection.sendall(head + body)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    _, _, payload = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), json.loads(payload) if payload else None


def head(path: str, headers: str) -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n{headers}\r\n".encode()


def test_a_declared_200_mb_body_is_refused_before_it_is_sent(server):
    status, body = exchange(server, head("/api/v1/auth/token", "Content-Length: 200000000\r\n"), b"{" * 1000)
    assert status == 413
    assert body["errors"][0]["code"] == "request_too_large"


def test_a_chunked_body_is_refused_the_moment_it_passes_the_limit(server):
    chunk = b"%x\r\n%s\r\n" % (50_000, b"[" * 50_000)
    status, body = exchange(server, head("/api/v1/auth/token", "Transfer-Encoding: chunked\r\n"), chunk * 3)
    assert status == 413
    assert body["errors"][0]["code"] == "request_too_large"


def test_a_body_within_the_limit_reaches_the_application(server):
    payload = b"[" * 20_000
    status, body = exchange(
        server, head("/api/v1/auth/token", f"Content-Length: {len(payload)}\r\nConnection: close\r\n"), payload
    )
    assert status == 400
    assert body["errors"][0]["code"] == "parse_error"

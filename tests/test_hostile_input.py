"""No input reaches a 500: tampered cursors, bad limits, JSON nested deeper than a parser can
follow, and bodies over the upload limit each get a 4xx in the standard error body.

Every cursor-paginated list is found in the OpenAPI schema (an operation with a `cursor`
parameter), so a list added later is covered without touching this file.
"""

import asyncio
import base64
import json
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from administration.factories import OrganisationAdminFactory
from config.asgi import application
from reflections.factories import ReflectionFactory
from teams.factories import MembershipFactory
from teams.models import Membership
from tests.conftest import error_codes


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _urlsafe(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


TAMPERED_CURSORS = [
    "abc",
    "-1",
    "1' OR 1=1",
    "²",
    "٣",
    "",
    _b64("\x00\xff garbage \x01"),
    # Shaped like the framework's cursors ("o=offset&r=reverse&p=position").
    _b64("p=abc"),
    _b64("p=-1"),
    _b64("p=1' OR 1=1"),
    _b64("p=" + "9" * 30),
    _b64("p=2026-13-45 99:00:00+00:00"),
    _b64("p=0001-01-01 00:00:00+01:00"),
    _b64("o=-1"),
    _b64("o=" + "9" * 5000),
    _b64("r=²"),
    # Shaped like the feed's ("time|source|id").
    _urlsafe("2026-06-10T09:00:00+00:00|0|x"),
    _urlsafe("0001-01-01T00:00:00+01:00|0|5"),
    _urlsafe("2026-06-10T09:00:00|0|" + "9" * 30),
    _urlsafe("yesterday|0|5"),
    # Shaped like a signed cursor.
    "cD0x:not-the-signature",
]
BAD_LIMITS = ["-1", "abc", "0", "²", "٣", "1.5", "", " 5", "5 ", "1e2", "0x10"]


def cursor_lists() -> list[str]:
    schema = SchemaGenerator().get_schema(public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if any(parameter["name"] == "cursor" for parameter in operations.get("get", {}).get("parameters", []))
    )


LISTS = cursor_lists()


def test_the_lists_are_found_in_the_schema_the_team_feed_included():
    assert "/api/v1/teams/{team_id}/feed" in LISTS
    assert "/api/v1/reflections" in LISTS
    assert len(LISTS) >= 10


@pytest.fixture
def list_url(team):
    def fill(path: str) -> str:
        return path.format(team_id=team.pk, organisation_id=team.organisation_id)

    return fill


@pytest.fixture
def lister(team):
    """Someone who may read every list: a lead of the team and an admin of its organisation."""
    lead = MembershipFactory(team=team, role=Membership.Role.LEAD).user
    OrganisationAdminFactory(user=lead, organisation=team.organisation)
    return lead


# Cursors


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_a_tampered_cursor_is_a_400_invalid_cursor_on_every_list(client_for, lister, list_url, path):
    client = client_for(lister)
    assert client.get(list_url(path)).status_code == 200
    for cursor in TAMPERED_CURSORS:
        response = client.get(list_url(path), {"cursor": cursor})
        assert response.status_code == 400, (cursor, response.content)
        assert error_codes(response) == [("cursor", "invalid_cursor")], cursor


@pytest.mark.django_db
def test_a_cursor_from_one_list_is_refused_by_another_kind_of_list(client_for, member):
    ReflectionFactory.create_batch(2, author=member)
    client = client_for(member)
    next_link = client.get("/api/v1/reflections", {"limit": 1}).json()["next"]
    cursor = parse_qs(urlparse(next_link).query)["cursor"][0]

    response = client.get("/api/v1/nudges", {"cursor": cursor})

    assert response.status_code == 400
    assert error_codes(response) == [("cursor", "invalid_cursor")]


@pytest.mark.django_db
def test_a_cursor_the_list_gave_out_still_works(client_for, member):
    ReflectionFactory.create_batch(3, author=member)
    client = client_for(member)
    first = client.get("/api/v1/reflections", {"limit": 2}).json()

    second = client.get(first["next"])

    assert second.status_code == 200
    assert len(second.json()["results"]) == 1


# Limits


@pytest.mark.django_db
@pytest.mark.parametrize("path", LISTS)
def test_a_bad_limit_is_a_400_invalid_limit_on_every_list(client_for, lister, list_url, path):
    client = client_for(lister)
    for limit in BAD_LIMITS:
        response = client.get(list_url(path), {"limit": limit})
        assert response.status_code == 400, (limit, response.content)
        assert error_codes(response) == [("limit", "invalid_limit")], limit


@pytest.mark.django_db
def test_a_limit_over_the_maximum_is_read_as_the_maximum(client_for, member):
    ReflectionFactory.create_batch(101, author=member)
    client = client_for(member)

    for limit in ("101", "1000", "9" * 5000):
        response = client.get("/api/v1/reflections", {"limit": limit})
        assert response.status_code == 200
        assert len(response.json()["results"]) == 100


# Deeply nested JSON

DEEP_BODIES = {"arrays": "[" * 10_000 + "]" * 10_000, "objects": '{"a":' * 10_000 + "1" + "}" * 10_000}


@pytest.mark.django_db
@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_deeply_nested_json_is_a_400_parse_error_when_signing_in(anonymous, body):
    response = anonymous.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]


@pytest.mark.django_db
@pytest.mark.parametrize("body", DEEP_BODIES.values(), ids=DEEP_BODIES.keys())
def test_deeply_nested_json_is_a_400_parse_error_when_signed_in(client_for, member, body):
    response = client_for(member).post("/api/v1/reflections", body, content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == [(None, "parse_error")]


# Bodies over the limit, through the test client (Django's own check)


@pytest.fixture
def small_limit(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    return 1000


@pytest.mark.django_db
def test_a_json_body_over_the_limit_is_a_413(anonymous, small_limit):
    body = json.dumps({"email": "a" * small_limit, "password": "x"})
    response = anonymous.post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 413
    assert error_codes(response) == [(None, "request_too_large")]


@pytest.mark.django_db
def test_a_form_over_the_limit_is_a_413_too(small_limit):
    response = Client().post("/coach/sign-in/", {"username": "a" * small_limit, "password": "x"})
    assert response.status_code == 413
    assert error_codes(response) == [(None, "request_too_large")]


def test_the_default_limit_leaves_room_for_the_longest_reflection(settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE >= 6 * 10_000 + 1024  # every character escaped as \\uXXXX


# Bodies over the limit, through the ASGI application Daphne serves


class AsgiCall:
    """One HTTP request straight into the ASGI application, counting what it reads."""

    def __init__(self, *, headers: list[tuple[bytes, bytes]], chunks):
        self.headers, self.chunks, self.reads, self.sent = headers, chunks, 0, []

    async def receive(self):
        if self.chunks is None:  # the whole body was sent: the client waits for the answer
            await asyncio.Event().wait()
        self.reads += 1
        body = next(self.chunks, None)
        if body is None:
            self.chunks = None
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": body, "more_body": True}

    async def send(self, message):
        self.sent.append(message)

    async def post(self, path: str):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"testserver"), (b"content-type", b"application/json"), *self.headers],
            "client": ("127.0.0.1", 5000),
            "server": ("testserver", 80),
        }
        await asyncio.wait_for(application(scope, self.receive, self.send), timeout=10)
        start = next(message for message in self.sent if message["type"] == "http.response.start")
        body = b"".join(message.get("body", b"") for message in self.sent if message["type"] == "http.response.body")
        return start["status"], json.loads(body)


def endless(chunk: bytes):
    while True:
        yield chunk


async def test_asgi_refuses_a_declared_length_over_the_limit_without_reading_the_body(small_limit):
    client = AsgiCall(headers=[(b"content-length", b"200000000")], chunks=endless(b"x" * 65536))

    status, body = await client.post("/api/v1/auth/token")

    assert status == 413
    assert body["errors"][0]["code"] == "request_too_large"
    assert client.reads == 0


async def test_asgi_stops_reading_an_undeclared_body_at_the_limit(small_limit):
    client = AsgiCall(headers=[(b"transfer-encoding", b"chunked")], chunks=endless(b"x" * 100))

    status, body = await client.post("/api/v1/auth/token")

    assert status == 413
    assert body["errors"][0]["code"] == "request_too_large"
    assert client.reads <= small_limit // 100 + 1


async def test_asgi_lets_a_body_under_the_limit_through(small_limit):
    client = AsgiCall(headers=[(b"content-length", b"2")], chunks=iter([b"{}"]))

    status, body = await client.post("/api/v1/auth/token")

    assert status == 400
    assert body["type"] == "validation_error"

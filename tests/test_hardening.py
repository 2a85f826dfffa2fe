"""Abuse, accounts and production: rate limits, passwords, request ids and refusing to start
without what production needs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rest_framework.test import APIClient

from tests.conftest import error_codes
from tests.ws_clients import connect, frame, fresh_channel_layer, send  # noqa: F401

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def sign_in(client, email, password="wrong-password"):
    return client.post("/api/v1/auth/token", {"email": email, "password": password}, format="json")


# Sign-in limits: tests/test_sign_in.py


def test_a_weak_new_password_is_refused_by_djangos_validators(client_for, member):
    response = client_for(member).post(
        "/api/v1/me/password", {"current_password": "a-long-test-password", "new_password": "123"}, format="json"
    )
    assert response.status_code == 400
    assert error_codes(response) == [("new_password", "weak_password")]


def test_a_wrong_current_password_changes_nothing(client_for, member):
    response = client_for(member).post(
        "/api/v1/me/password", {"current_password": "nope", "new_password": "a brand new long phrase"}, format="json"
    )
    assert error_codes(response) == [("current_password", "wrong_password")]
    member.refresh_from_db()
    assert member.check_password("a-long-test-password")


def test_changing_the_password_revokes_every_other_sign_in(client_for, member):
    old_refresh = sign_in(APIClient(), member.email, "a-long-test-password").json()["refresh"]
    response = client_for(member).post(
        "/api/v1/me/password",
        {"current_password": "a-long-test-password", "new_password": "a brand new long phrase"},
        format="json",
    )
    assert set(response.json()) == {"access", "refresh"}
    assert APIClient().post("/api/v1/auth/token/refresh", {"refresh": old_refresh}, format="json").status_code == 401
    assert sign_in(APIClient(), member.email, "a brand new long phrase").status_code == 200


def test_every_response_carries_a_request_id(client_for, member):
    response = client_for(member).get("/api/v1/me")
    assert len(response["X-Request-ID"]) == 32


def test_a_request_id_from_the_load_balancer_is_kept(client_for, member):
    response = client_for(member).get("/api/v1/me", HTTP_X_REQUEST_ID="lb-4f1c2a9e")
    assert response["X-Request-ID"] == "lb-4f1c2a9e"


def test_log_lines_name_their_request(client_for, member, caplog):
    client_for(member).get("/api/v1/no/such/path", HTTP_X_REQUEST_ID="trace-12345678")
    assert any(getattr(record, "request_id", None) == "trace-12345678" for record in caplog.records)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("fresh_channel_layer")
async def test_a_flood_of_websocket_frames_is_slowed_down(member):
    communicator = await connect("/ws/v1/events/", member)
    for _ in range(30):
        await send(communicator, {"type": "ping"})
    answers = [await frame(communicator) for _ in range(30)]
    assert {"type": "error", "code": "rate_limited", "detail": "Too many frames; slow down.", "field": None} in answers
    assert sum(answer["type"] == "pong" for answer in answers) <= 21
    await communicator.disconnect()


def production_env(**overrides) -> dict:
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-not-a-real-secret-but-long-and-random-enough-0123456789",
        "REFLECTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "api.example.com",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    }
    env.pop("DEBUG", None)
    env.update(overrides)
    return {key: value for key, value in env.items() if value is not None}


def manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "REFLECTION_KEYS", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable_and_names_it(missing):
    result = manage("check", env=production_env(**{missing: None}))
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


def test_production_refuses_the_firebase_emulator():
    result = manage("check", env=production_env(FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9099"))
    assert result.returncode != 0
    assert "FIREBASE_AUTH_EMULATOR_HOST" in result.stderr


def test_the_deployment_checklist_has_nothing_to_say_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_sign_in_keeps_working_when_the_shared_cache_is_down(settings, member):
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.ForgivingRedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # discard port: nothing listens
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    response = sign_in(APIClient(), member.email, "a-long-test-password")
    assert response.status_code == 200

"""Delivery through the real firebase-admin and libcurl code, to an FCM of our own on loopback.

No Firebase is reached: the app uses anonymous credentials and a test project id, and a real
HTTP server answers the FCM v1 endpoint the way FCM does; each request is a real exchange."""

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from django.utils import timezone
from firebase_admin import messaging

from accounts.firebase import firebase_app
from nudges.delivery import MAX_ATTEMPTS, nudges_deliver
from nudges.models import DeliveryAttempt, Device, Kind, Nudge
from tests.daphne import free_port
from tests.firebase_tokens import PRIVATE_KEY

pytestmark = pytest.mark.django_db

PROJECT = "humble-test"
PATH = f"/v1/projects/{PROJECT}/messages:send"


class FakeFcm(ThreadingHTTPServer):
    """Answers each message by its token: "ok", an FCM error, or "slow" (later than the timeout)."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answers, self.seen, self.headers_seen = {}, [], []
        self.url = f"http://127.0.0.1:{self.server_port}{PATH}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        fcm = self.server
        message = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["message"]
        fcm.seen.append(message)
        fcm.headers_seen.append(self.headers)  # names in any case, as HTTP has them
        outcome = fcm.answers.get(message["token"], "ok")
        if outcome == "slow":
            time.sleep(1.5)
            outcome = "ok"
        if outcome == "ok":
            status, headers, body = 200, {}, {"name": f"projects/{PROJECT}/messages/{len(fcm.seen)}"}
        else:
            status, error_status, error_code, headers = outcome
            body = {
                "error": {
                    "code": status,
                    "message": error_code,
                    "status": error_status,
                    "details": [
                        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}
                    ],
                }
            }
        content = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json", "Content-Length": len(content)}.items():
            self.send_header(name, str(value))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, *args):
        pass


def point_firebase_at(url: str) -> None:
    """firebase-admin's FCM endpoint, which the backend sends to, moved to `url`."""
    messaging._get_messaging_service(firebase_app())._fcm_url = url


@pytest.fixture
def fcm(settings):
    """The FCM backend on the test project, talking to a fake FCM on loopback."""
    settings.FIREBASE_PROJECT_ID = PROJECT
    settings.PUSH_BACKEND = "nudges.push.FcmBackend"
    server = FakeFcm()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    point_firebase_at(server.url)
    yield server
    server.shutdown()
    server.server_close()


UNREGISTERED = (404, "NOT_FOUND", "UNREGISTERED", {})
INVALID_TOKEN = (400, "INVALID_ARGUMENT", "INVALID_ARGUMENT", {})
QUOTA_EXCEEDED = (429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", {"Retry-After": "120"})
UNAVAILABLE = (503, "UNAVAILABLE", "UNAVAILABLE", {})


@pytest.fixture
def nudge(member):
    return Nudge.objects.create(
        user=member,
        kind=Kind.SESSION_STARTED,
        dedupe_key="t:1",
        due_at=timezone.now() - timedelta(seconds=1),
        context={"session_id": 0, "started_by": "Morgan", "title": "Check-in", "team": "North"},
    )


@pytest.fixture(autouse=True)
def _daytime(time_machine):
    """Midday in the person's zone (UTC), so quiet hours never defer a push, whatever the hour
    the suite runs at; retries below stay before quiet hours begin."""
    time_machine.move_to("2026-06-10 12:00Z", tick=True)


@pytest.fixture(autouse=True)
def _session_is_live(monkeypatch):
    # The session_started kind checks its session is still live; these tests are about FCM.
    monkeypatch.setattr("nudges.recheck._still_relevant", lambda nudge, user, local: "")


def device(user, token, platform=Device.Platform.ANDROID):
    return Device.objects.create(user=user, token=token, platform=platform)


def outcomes(nudge):
    return sorted(DeliveryAttempt.objects.filter(nudge=nudge).values_list("device__token", "outcome", "error_code"))


def test_the_firebase_app_has_an_explicit_http_timeout(fcm, settings):
    assert firebase_app().options.get("httpTimeout") == settings.FIREBASE_HTTP_TIMEOUT


def test_a_nudge_reaches_the_device_and_the_success_is_recorded(fcm, nudge, member):
    device(member, "token-ok")
    nudges_deliver()
    nudge.refresh_from_db()
    assert nudge.status == Nudge.Status.SENT
    attempt = DeliveryAttempt.objects.get(nudge=nudge)
    assert (attempt.outcome, attempt.message_id) == ("sent", f"projects/{PROJECT}/messages/1")


def test_each_kind_collapses_on_the_phone(fcm, nudge, member):
    device(member, "token-ok")
    nudges_deliver()
    message = fcm.seen[0]
    assert message["android"]["collapse_key"] == "session_started"
    assert message["android"]["notification"]["tag"] == "session_started"
    assert message["apns"]["headers"]["apns-collapse-id"] == "session_started"
    assert message["data"] == {"nudge_id": str(nudge.pk), "kind": "session_started"}


@pytest.mark.parametrize("answer", [UNREGISTERED, INVALID_TOKEN])
def test_a_dead_token_deactivates_the_device_for_good(fcm, nudge, member, answer):
    dead = device(member, "token-dead")
    fcm.answers["token-dead"] = answer
    nudges_deliver()
    dead.refresh_from_db()
    assert (dead.active, dead.deactivated_reason) == (False, "unregistered")
    assert outcomes(nudge) == [("token-dead", "dead_token", answer[2])]
    Nudge.objects.create(user=member, kind=Kind.SEEN, dedupe_key="t:2", due_at=timezone.now())
    nudges_deliver()
    assert len(fcm.seen) == 1  # never used again


def test_quota_exceeded_is_retried_after_what_fcm_asks(fcm, nudge, member):
    device(member, "token-busy")
    fcm.answers["token-busy"] = QUOTA_EXCEEDED
    before = timezone.now()
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts, nudge.reason) == ("pending", 1, "QUOTA_EXCEEDED")
    assert nudge.due_at >= before + timedelta(seconds=120)
    assert outcomes(nudge) == [("token-busy", "retry", "QUOTA_EXCEEDED")]


def test_an_unavailable_fcm_is_retried_later_with_backoff(fcm, nudge, member):
    device(member, "token-later")
    fcm.answers["token-later"] = UNAVAILABLE
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts) == ("pending", 1)
    assert nudge.due_at > timezone.now()


def test_a_timeout_is_retried_later(fcm, nudge, member, settings):
    settings.FIREBASE_HTTP_TIMEOUT = 1
    point_firebase_at(fcm.url)  # the app was made anew with the new timeout
    device(member, "token-slow")
    fcm.answers["token-slow"] = "slow"
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts) == ("pending", 1)
    assert outcomes(nudge) == [("token-slow", "retry", "DEADLINE_EXCEEDED")]


def test_a_batch_where_some_tokens_fail_retries_only_those(fcm, nudge, member):
    for token in ("token-ok", "token-dead", "token-later"):
        device(member, token)
    fcm.answers.update({"token-dead": UNREGISTERED, "token-later": UNAVAILABLE})
    nudges_deliver()
    assert outcomes(nudge) == [
        ("token-dead", "dead_token", "UNREGISTERED"),
        ("token-later", "retry", "UNAVAILABLE"),
        ("token-ok", "sent", ""),
    ]
    fcm.answers["token-later"] = "ok"
    asked_before = len(fcm.seen)
    nudges_deliver(now=timezone.now() + timedelta(hours=2))
    assert [message["token"] for message in fcm.seen[asked_before:]] == ["token-later"]
    nudge.refresh_from_db()
    assert nudge.status == Nudge.Status.SENT


def test_a_nudge_that_keeps_failing_is_marked_failed_with_its_reason(fcm, nudge, member):
    device(member, "token-later")
    fcm.answers["token-later"] = UNAVAILABLE
    later = timezone.now()
    for _ in range(MAX_ATTEMPTS):
        later += timedelta(hours=1, minutes=45)  # past the longest backoff, before 21:00
        nudges_deliver(now=later)
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts, nudge.reason) == ("failed", MAX_ATTEMPTS, "UNAVAILABLE")
    assert DeliveryAttempt.objects.filter(nudge=nudge).count() == MAX_ATTEMPTS
    nudges_deliver(now=later + timedelta(days=1))
    assert DeliveryAttempt.objects.filter(nudge=nudge).count() == MAX_ATTEMPTS


def test_a_failed_push_still_lands_in_the_inbox(fcm, nudge, member, client_for):
    device(member, "token-later")
    fcm.answers["token-later"] = UNAVAILABLE
    nudges_deliver()
    inbox = client_for(member).get("/api/v1/nudges").json()["results"]
    assert [item["id"] for item in inbox] == [nudge.pk]


def test_each_push_carries_its_own_token_text_and_nudge(fcm, nudge, member, teammate):
    device(member, "token-member")
    device(teammate, "token-teammate")
    seen = Nudge.objects.create(user=teammate, kind=Kind.SEEN, dedupe_key="t:2", due_at=timezone.now())
    nudges_deliver()
    by_token = {message["token"]: message for message in fcm.seen}
    assert by_token["token-member"]["data"] == {"nudge_id": str(nudge.pk), "kind": "session_started"}
    assert by_token["token-member"]["notification"]["title"] == "Morgan started a group exercise"
    assert by_token["token-teammate"]["data"] == {"nudge_id": str(seen.pk), "kind": "seen"}
    assert by_token["token-teammate"]["notification"]["title"] == "Someone saw you"


def test_pushes_go_with_firebase_admins_headers(fcm, nudge, member):
    device(member, "token-ok")
    nudges_deliver()
    headers = fcm.headers_seen[0]
    assert headers["X-GOOG-API-FORMAT-VERSION"] == "2"
    assert headers["X-FIREBASE-CLIENT"].startswith("fire-admin-python/")
    assert headers["Content-Type"] == "application/json; charset=UTF-8"


def test_with_a_service_account_each_push_carries_its_access_token(fcm, nudge, member, settings, tmp_path):
    key = tmp_path / "service-account.json"
    key.write_text(json.dumps(service_account(PROJECT)))
    settings.FIREBASE_CREDENTIALS = str(key)
    point_firebase_at(fcm.url)  # the app was made anew with the credentials
    device(member, "token-ok")
    with responses.RequestsMock() as google:
        google.post("https://oauth2.googleapis.com/token", json={"access_token": "ya29.test", "expires_in": 3600})
        nudges_deliver()
    assert fcm.headers_seen[0]["Authorization"] == "Bearer ya29.test"
    assert outcomes(nudge) == [("token-ok", "sent", "")]


def test_an_unreachable_fcm_is_retried_later(fcm, nudge, member):
    point_firebase_at(f"http://127.0.0.1:{free_port()}{PATH}")  # nothing listens there
    device(member, "token-later")
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts) == ("pending", 1)
    assert outcomes(nudge) == [("token-later", "retry", "UNAVAILABLE")]


def service_account(project: str) -> dict:
    """A service-account key of our own (Google never sees it: its token endpoint is intercepted)."""
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "test-key",
        "private_key": PRIVATE_KEY.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
        "client_email": f"pushes@{project}.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }

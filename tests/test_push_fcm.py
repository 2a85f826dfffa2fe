"""Delivery through the real firebase-admin code, with its HTTP exchange with FCM intercepted.

No Firebase is reached: the app uses anonymous credentials and a test project id, and
`responses` answers the FCM v1 endpoint the way FCM does."""

import json
from datetime import timedelta

import pytest
import requests
import responses
from django.utils import timezone

from accounts.firebase import firebase_app
from nudges.delivery import MAX_ATTEMPTS, nudges_deliver
from nudges.models import DeliveryAttempt, Device, Kind, Nudge

pytestmark = pytest.mark.django_db

PROJECT = "humble-test"
FCM_URL = f"https://fcm.googleapis.com/v1/projects/{PROJECT}/messages:send"


@pytest.fixture
def fcm(settings):
    """The FCM backend on the test project; yields a dict token -> how FCM answers it."""
    settings.FIREBASE_PROJECT_ID = PROJECT
    settings.PUSH_BACKEND = "nudges.push.FcmBackend"
    answers, seen = {}, []

    def answer(request):
        message = json.loads(request.body)["message"]
        seen.append(message)
        outcome = answers.get(message["token"], "ok")
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == "ok":
            return 200, {}, json.dumps({"name": f"projects/{PROJECT}/messages/{len(seen)}"})
        status, error_status, error_code, headers = outcome
        body = {
            "error": {
                "code": status,
                "message": error_code,
                "status": error_status,
                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}],
            }
        }
        return status, headers, json.dumps(body)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, FCM_URL, callback=answer, content_type="application/json")
        yield {"answers": answers, "seen": seen}


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
    message = fcm["seen"][0]
    assert message["android"]["collapse_key"] == "session_started"
    assert message["android"]["notification"]["tag"] == "session_started"
    assert message["apns"]["headers"]["apns-collapse-id"] == "session_started"
    assert message["data"] == {"nudge_id": str(nudge.pk), "kind": "session_started"}


@pytest.mark.parametrize("answer", [UNREGISTERED, INVALID_TOKEN])
def test_a_dead_token_deactivates_the_device_for_good(fcm, nudge, member, answer):
    dead = device(member, "token-dead")
    fcm["answers"]["token-dead"] = answer
    nudges_deliver()
    dead.refresh_from_db()
    assert (dead.active, dead.deactivated_reason) == (False, "unregistered")
    assert outcomes(nudge) == [("token-dead", "dead_token", answer[2])]
    Nudge.objects.create(user=member, kind=Kind.SEEN, dedupe_key="t:2", due_at=timezone.now())
    nudges_deliver()
    assert len(fcm["seen"]) == 1  # never used again


def test_quota_exceeded_is_retried_after_what_fcm_asks(fcm, nudge, member):
    device(member, "token-busy")
    fcm["answers"]["token-busy"] = QUOTA_EXCEEDED
    before = timezone.now()
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts, nudge.reason) == ("pending", 1, "QUOTA_EXCEEDED")
    assert nudge.due_at >= before + timedelta(seconds=120)
    assert outcomes(nudge) == [("token-busy", "retry", "QUOTA_EXCEEDED")]


def test_an_unavailable_fcm_is_retried_later_with_backoff(fcm, nudge, member):
    device(member, "token-later")
    fcm["answers"]["token-later"] = UNAVAILABLE
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts) == ("pending", 1)
    assert nudge.due_at > timezone.now()


def test_a_timeout_is_retried_later(fcm, nudge, member):
    device(member, "token-slow")
    fcm["answers"]["token-slow"] = requests.exceptions.ReadTimeout("read timed out")
    nudges_deliver()
    nudge.refresh_from_db()
    assert (nudge.status, nudge.attempts) == ("pending", 1)
    assert outcomes(nudge) == [("token-slow", "retry", "DEADLINE_EXCEEDED")]


def test_a_batch_where_some_tokens_fail_retries_only_those(fcm, nudge, member):
    for token in ("token-ok", "token-dead", "token-later"):
        device(member, token)
    fcm["answers"].update({"token-dead": UNREGISTERED, "token-later": UNAVAILABLE})
    nudges_deliver()
    assert outcomes(nudge) == [
        ("token-dead", "dead_token", "UNREGISTERED"),
        ("token-later", "retry", "UNAVAILABLE"),
        ("token-ok", "sent", ""),
    ]
    fcm["answers"]["token-later"] = "ok"
    asked_before = len(fcm["seen"])  # firebase-admin itself retried the 503 a few times
    nudges_deliver(now=timezone.now() + timedelta(hours=2))
    assert [message["token"] for message in fcm["seen"][asked_before:]] == ["token-later"]
    nudge.refresh_from_db()
    assert nudge.status == Nudge.Status.SENT


def test_a_nudge_that_keeps_failing_is_marked_failed_with_its_reason(fcm, nudge, member):
    device(member, "token-later")
    fcm["answers"]["token-later"] = UNAVAILABLE
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
    fcm["answers"]["token-later"] = UNAVAILABLE
    nudges_deliver()
    inbox = client_for(member).get("/api/v1/nudges").json()["results"]
    assert [item["id"] for item in inbox] == [nudge.pk]

"""Push backends: the one place that talks to Firebase Cloud Messaging.

PUSH_BACKEND names the class (DRF-style swappable behaviour): FcmBackend when
FIREBASE_CREDENTIALS is set, otherwise ConsoleBackend, which logs what would have been sent
(the delivery attempts are recorded either way), so the embedded default shows nudges working.
"""

import itertools
import json
import logging
import warnings
from dataclasses import dataclass
from functools import cache

import httpx
import pycurl
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from firebase_admin import _utils as firebase_utils
from firebase_admin import exceptions as firebase_errors
from firebase_admin import messaging
from google.auth.transport.requests import Request as AuthRequest

from accounts.firebase import firebase_app
from nudges import http2

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Push:
    token: str
    title: str
    body: str
    kind: str
    nudge_id: int
    collapse_key: str | None = None


@dataclass(frozen=True)
class PushResult:
    outcome: str  # a DeliveryAttempt.Outcome value
    error_code: str = ""
    message_id: str = ""
    retry_after: int | None = None


class ConsoleBackend:
    _counter = itertools.count(1)

    def send(self, pushes: list[Push]) -> list[PushResult]:
        results = []
        for push in pushes:
            logger.info("push (console) nudge=%s kind=%s title=%r", push.nudge_id, push.kind, push.title)
            results.append(PushResult(outcome="sent", message_id=f"console-{next(self._counter)}"))
        return results


_DEAD_TOKEN = (messaging.UnregisteredError, messaging.SenderIdMismatchError, firebase_errors.InvalidArgumentError)
_TRANSIENT = (
    messaging.QuotaExceededError,
    firebase_errors.UnavailableError,
    firebase_errors.InternalError,
    firebase_errors.DeadlineExceededError,
    firebase_errors.UnknownError,
)


def _retry_after(error: Exception) -> int | None:
    response = getattr(error, "http_response", None)
    value = response.headers.get("Retry-After") if response is not None else None
    return int(value) if value and value.strip().isdigit() else None


# FCM's own error codes, finer than the platform's (NOT_FOUND, RESOURCE_EXHAUSTED…).
_FCM_CODES = {
    messaging.UnregisteredError: "UNREGISTERED",
    messaging.SenderIdMismatchError: "SENDER_ID_MISMATCH",
    messaging.QuotaExceededError: "QUOTA_EXCEEDED",
    messaging.ThirdPartyAuthError: "THIRD_PARTY_AUTH_ERROR",
}


def classify(error: Exception) -> PushResult:
    code = _FCM_CODES.get(type(error)) or getattr(error, "code", "") or type(error).__name__
    if isinstance(error, _DEAD_TOKEN):
        return PushResult(outcome="dead_token", error_code=str(code))
    if isinstance(error, _TRANSIENT):
        return PushResult(outcome="retry", error_code=str(code), retry_after=_retry_after(error))
    return PushResult(outcome="failed", error_code=str(code))


class FcmBackend:
    """FCM's HTTP v1 API, one request per push, a whole chunk of them at once.

    firebase-admin keeps its three jobs: the credentials, building and checking each message
    (and the request around it), and what FCM's answers mean. The requests go out as
    concurrent streams on one HTTP/2 connection (nudges/http2.py), kept open from chunk to
    chunk. firebase-admin's own `send_each` spends about 2.6 ms of CPU a push (a thread per
    message over `requests`), httpx over HTTP/2 about 0.9 ms, libcurl 0.04 ms (README, "Nudges")."""

    def __init__(self):
        self._connection = http2.Connection()
        self._auth = AuthRequest()

    def send(self, pushes: list[Push]) -> list[PushResult]:
        app = firebase_app()
        service = messaging._get_messaging_service(app)  # its endpoint and headers (firebase-admin 7.7)
        url, headers = service._fcm_url, {**service._fcm_headers, "Content-Type": "application/json; charset=UTF-8"}
        # Adds a fresh OAuth access token (refreshed when it nears expiry); none when anonymous.
        app.credential.get_credential().before_request(self._auth, "POST", url, headers)
        bodies = self._bodies(service, pushes)
        answers = self._connection.post_all(url, headers=headers, bodies=bodies, timeout=app.options.get("httpTimeout"))
        return [_result(url, answer) for answer in answers]

    def _bodies(self, service, pushes: list[Push]) -> list[bytes]:
        """Each push's request body. firebase-admin builds, checks and encodes one message per
        distinct text (most of a chunk shares one); each push's is that one with its own token
        and data, which differ only in strings firebase-admin checked the same way."""
        encoded: dict[tuple, dict] = {}
        bodies = []
        for push in pushes:
            text = (push.title, push.body, push.kind, push.collapse_key)
            if text not in encoded:
                encoded[text] = service.encode_message(_message(push))
            message = {**encoded[text], "token": push.token, "data": _data(push)}
            bodies.append(json.dumps({"message": message}).encode())
        return bodies


def _result(url: str, answer: http2.Answer) -> PushResult:
    if answer.failure is None and answer.status == 200:
        return PushResult(outcome="sent", message_id=str(json.loads(answer.body).get("name", "")))
    request = httpx.Request("POST", url)
    if answer.failure is not None:
        errno, message = answer.failure
        error = _TRANSPORT_ERRORS.get(errno, httpx.TransportError)(message, request=request)
    else:
        response = httpx.Response(answer.status, headers=answer.headers, content=answer.body, request=request)
        error = httpx.HTTPStatusError(f"FCM answered {answer.status}", request=request, response=response)
    # firebase-admin's own reading of an FCM error, as its send_each_async does it.
    return classify(
        firebase_utils.handle_platform_error_from_httpx(error, messaging._MessagingService._build_fcm_error_httpx)
    )


# libcurl's failures below HTTP, as the httpx errors firebase-admin reads (timeout: retried as
# DEADLINE_EXCEEDED; no connection: UNAVAILABLE; anything else: UNKNOWN, also retried).
_TRANSPORT_ERRORS = {
    pycurl.E_OPERATION_TIMEDOUT: httpx.TimeoutException,
    pycurl.E_COULDNT_RESOLVE_HOST: httpx.ConnectError,
    pycurl.E_COULDNT_CONNECT: httpx.ConnectError,
    pycurl.E_SSL_CONNECT_ERROR: httpx.ConnectError,
    pycurl.E_GOT_NOTHING: httpx.ConnectError,
    pycurl.E_SEND_ERROR: httpx.ConnectError,
    pycurl.E_RECV_ERROR: httpx.ConnectError,
}


def _message(push: Push) -> messaging.Message:
    # Phones register FCM registration tokens (the `token` target). firebase-admin now
    # prefers installation ids (`fid`) and warns about `token`, which FCM still serves.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
        return messaging.Message(
            token=push.token,
            notification=messaging.Notification(title=push.title, body=push.body),
            data=_data(push),
            **_collapsing(push.collapse_key),
        )


def _data(push: Push) -> dict[str, str]:
    return {"nudge_id": str(push.nudge_id), "kind": push.kind}


def _collapsing(key: str | None) -> dict:
    """A newer push with the same key replaces an unread older one on the phone."""
    if not key:
        return {}
    return {
        "android": messaging.AndroidConfig(collapse_key=key, notification=messaging.AndroidNotification(tag=key)),
        "apns": messaging.APNSConfig(headers={"apns-collapse-id": key}),
        "webpush": messaging.WebpushConfig(headers={"Topic": key}),
    }


@cache
def push_backend():
    return import_string(settings.PUSH_BACKEND)()


@receiver(setting_changed)
def _forget_backend(*, setting, **kwargs):
    if setting == "PUSH_BACKEND":
        push_backend.cache_clear()

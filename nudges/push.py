"""Push backends: the one place that talks to Firebase Cloud Messaging.

PUSH_BACKEND names the class (DRF-style swappable behaviour): FcmBackend when
FIREBASE_CREDENTIALS is set, otherwise ConsoleBackend, which logs what would have been sent
(the delivery attempts are recorded either way), so the embedded default shows nudges working.
"""

import itertools
import logging
import warnings
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string
from firebase_admin import exceptions as firebase_errors
from firebase_admin import messaging

from accounts.firebase import firebase_app

logger = logging.getLogger(__name__)

# FCM's own limit for one send_each call.
BATCH_LIMIT = 500


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
    """firebase-admin's send_each (over `requests`), with the app's explicit HTTP timeout."""

    def _message(self, push: Push) -> messaging.Message:
        # Phones register FCM registration tokens (the `token` target). firebase-admin now
        # prefers installation ids (`fid`) and warns about `token`, which FCM still serves.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Message.token is deprecated", DeprecationWarning)
            return self._build(push)

    def _build(self, push: Push) -> messaging.Message:
        return messaging.Message(
            token=push.token,
            notification=messaging.Notification(title=push.title, body=push.body),
            data={"nudge_id": str(push.nudge_id), "kind": push.kind},
            **_collapsing(push.collapse_key),
        )

    def send(self, pushes: list[Push]) -> list[PushResult]:
        results = []
        for start in range(0, len(pushes), BATCH_LIMIT):
            batch = pushes[start : start + BATCH_LIMIT]
            try:
                response = messaging.send_each([self._message(push) for push in batch], app=firebase_app())
            except firebase_errors.FirebaseError as error:
                results.extend(classify(error) for _ in batch)
                continue
            results.extend(
                PushResult(outcome="sent", message_id=sent.message_id) if sent.success else classify(sent.exception)
                for sent in response.responses
            )
        return results


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

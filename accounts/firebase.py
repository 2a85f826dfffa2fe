"""The firebase-admin app this deployment uses, built once from settings.

FIREBASE_CREDENTIALS (a service-account file) gives an app that can also send pushes;
FIREBASE_PROJECT_ID alone gives one that can verify sign-in ID tokens, which needs no secret.
"""

from functools import cache

import firebase_admin
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from firebase_admin import credentials
from google.auth.credentials import AnonymousCredentials

APP_NAME = "humble"


class _Anonymous(credentials.Base):
    def get_credential(self):
        return AnonymousCredentials()


def is_configured() -> bool:
    return bool(settings.FIREBASE_CREDENTIALS or settings.FIREBASE_PROJECT_ID)


def web_config() -> dict | None:
    """What a web page needs to sign in with Firebase (all of it public, like any web app's
    Firebase config), or None where web sign-in is not set up: its ID tokens are checked
    against FIREBASE_PROJECT_ID, so that is needed too."""
    if not (settings.FIREBASE_WEB_API_KEY and settings.FIREBASE_AUTH_DOMAIN and settings.FIREBASE_PROJECT_ID):
        return None
    return {
        "apiKey": settings.FIREBASE_WEB_API_KEY,
        "authDomain": settings.FIREBASE_AUTH_DOMAIN,
        "projectId": settings.FIREBASE_PROJECT_ID,
        "provider": settings.FIREBASE_WEB_PROVIDER,
    }


@cache
def firebase_app() -> firebase_admin.App:
    options = {"httpTimeout": settings.FIREBASE_HTTP_TIMEOUT}
    if settings.FIREBASE_PROJECT_ID:
        options["projectId"] = settings.FIREBASE_PROJECT_ID
    if settings.FIREBASE_CREDENTIALS:
        credential = credentials.Certificate(settings.FIREBASE_CREDENTIALS)
    else:
        credential = _Anonymous()
    return firebase_admin.initialize_app(credential, options, name=APP_NAME)


@receiver(setting_changed)
def _forget_app(*, setting, **kwargs):
    if setting.startswith("FIREBASE_") and firebase_app.cache_info().currsize:
        firebase_admin.delete_app(firebase_app())
        firebase_app.cache_clear()

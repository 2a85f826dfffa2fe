"""Django's sign-in forms: the password checked by accounts.sign_in like on every door, or a
Firebase ID token checked by accounts.services.firebase_sign_in like on the phone's."""

import math
from collections.abc import Callable

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.models import User
from accounts.services import firebase_sign_in
from accounts.sign_in import password_sign_in
from administration.selectors import administered_organisations
from api.throttling import client_address
from common.errors import DomainError, LimitReached, NotAllowed, Unauthenticated
from insights.selectors import coached_organisations

NOT_FOR_YOU = "The dashboard is for coaches and organisation admins. Your account is neither: use the Humble app."


def may_use_the_web_pages(*, user: User) -> bool:
    """The web pages are for the people with something there: coaches and organisation admins."""
    return bool(coached_organisations(user=user)) or administered_organisations(user=user).exists()


class WebSignIn:
    """What both doors of the web pages share: one sign-in of accounts' (with its limits), its
    refusals said on the page, and who may come in, which is said at sign-in, not after.
    with_refusal_status (dashboard.views) reads retry_after and forbidden for the page's status."""

    retry_after: int | None = None
    forbidden = False

    def signed_in_by(self, sign_in: Callable[[], User]) -> User:
        try:
            user = sign_in()
        except LimitReached as limited:
            self.retry_after = limited.retry_after
            raise forms.ValidationError(
                f"Too many sign-in attempts; try again in {_duration(limited.retry_after)}.", code="throttled"
            ) from None
        except Unauthenticated:
            raise self.get_invalid_login_error() from None
        except DomainError as refused:  # an account erased for good, disabled, unknown to Humble...
            self.forbidden = isinstance(refused, NotAllowed)
            raise forms.ValidationError(refused.message, code=refused.code) from None
        self.confirm_login_allowed(user)
        return user

    def confirm_login_allowed(self, user):
        if not may_use_the_web_pages(user=user):
            self.forbidden = True
            raise forms.ValidationError(NOT_FOR_YOU, code="not_a_coach")


class SignInForm(WebSignIn, AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account.",
    }

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            address = client_address(self.request)
            self.user_cache = self.signed_in_by(
                lambda: password_sign_in(email=email, password=password, address=address)
            )
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)
        super().confirm_login_allowed(user)


class FirebaseSignInForm(WebSignIn, forms.Form):
    """An ID token from the page's Firebase sign-in (dashboard/static/dashboard/firebase-sign-in.js).

    It creates no account: nobody new could use the web pages, so it would be written for
    nothing (the phone's door does create them, accounts.services.user_from_firebase_token)."""

    id_token = forms.CharField(max_length=8192)

    def __init__(self, request=None, *args, **kwargs):
        self.request = request
        self.user_cache = None
        super().__init__(*args, **kwargs)

    def clean(self):
        id_token = self.cleaned_data.get("id_token")
        if not id_token:  # missing, or longer than any ID token
            raise self.get_invalid_login_error()
        address = client_address(self.request)
        self.user_cache = self.signed_in_by(
            lambda: firebase_sign_in(id_token=id_token, address=address, may_create_account=False)
        )
        return self.cleaned_data

    def get_invalid_login_error(self):
        return forms.ValidationError("That sign-in with your organisation's account did not work; try again.")

    def get_user(self) -> User | None:
        return self.user_cache


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The Django admin: staff only (AdminAuthenticationForm's rule), the same password check."""

    error_messages = AdminAuthenticationForm.error_messages

    def confirm_login_allowed(self, user):
        AdminAuthenticationForm.confirm_login_allowed(self, user)

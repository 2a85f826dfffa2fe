"""Django's sign-in forms, with the password checked by accounts.sign_in like on every door."""

import math

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from accounts.sign_in import password_sign_in
from api.throttling import client_address
from common.errors import DomainError, LimitReached, Unauthenticated
from insights.selectors import coached_organisations


class SignInForm(AuthenticationForm):
    """The coaches' dashboard: for coaches only, which is said at sign-in, not after."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account.",
        "not_a_coach": "The dashboard is for coaches. Your account is not a coach's: use the Humble app.",
    }
    retry_after: int | None = None

    def clean(self):
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if email is not None and password:
            try:
                self.user_cache = password_sign_in(email=email, password=password, address=client_address(self.request))
            except LimitReached as limited:
                self.retry_after = limited.retry_after
                raise forms.ValidationError(
                    f"Too many sign-in attempts; try again in {_duration(limited.retry_after)}.", code="throttled"
                ) from None
            except Unauthenticated:
                raise self.get_invalid_login_error() from None
            except DomainError as refused:  # an account erased for good, say
                raise forms.ValidationError(refused.message, code=refused.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not coached_organisations(user=user):
            raise forms.ValidationError(self.error_messages["not_a_coach"], code="not_a_coach")


def _duration(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class AdminSignInForm(SignInForm, AdminAuthenticationForm):
    """The Django admin: staff only (AdminAuthenticationForm's rule), the same password check."""

    error_messages = AdminAuthenticationForm.error_messages

    def confirm_login_allowed(self, user):
        AdminAuthenticationForm.confirm_login_allowed(self, user)

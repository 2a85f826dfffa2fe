"""Writes about people: profiles, and turning a Firebase sign-in into an account."""

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from firebase_admin import auth as firebase_auth
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts import firebase
from accounts.models import ConnectionTicket, Organisation, OrganisationDomain, User
from accounts.sign_in import password_confirm, sign_in_attempt, signed_in
from common.digests import secret_digest
from common.errors import Invalid, NotAllowed, NotFound, Unauthenticated, Unavailable

LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$")
FIREBASE_CONFIRM_WINDOW = timedelta(minutes=5)


def person_lock(*, user: User) -> None:
    """Serialise this person's concurrent writes (limits and idempotency rely on it).

    Call inside a transaction. SQLite already serialises writers (immediate transactions).
    """
    # NO KEY: foreign keys to this row (someone acknowledging this person) take KEY SHARE locks,
    # which a plain FOR UPDATE would block on, deadlocking two people acknowledging each other.
    User.objects.select_for_update(no_key=True).filter(pk=user.pk).values_list("pk").first()


def validate_time_zone(*, name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"{name!r} is not an IANA time zone name.", code="invalid_time_zone", field="time_zone") from None
    return name


def validate_locale(*, tag: str) -> str:
    """A language tag whose language the app speaks (settings.LANGUAGES); a region is kept
    ("fr-CA": French, Canadian dates)."""
    if not LOCALE_PATTERN.match(tag):
        raise Invalid("Use a language tag such as 'en' or 'fr-CA'.", code="invalid_locale", field="locale")
    spoken = [code for code, _ in settings.LANGUAGES]
    if tag.partition("-")[0] not in spoken:
        raise Invalid(f"Humble speaks {', '.join(spoken)}.", code="unsupported_locale", field="locale")
    return tag


@transaction.atomic
def profile_update(
    *,
    user: User,
    display_name: str | None = None,
    time_zone: str | None = None,
    locale: str | None = None,
    pairs_across_teams: bool | None = None,
) -> User:
    zone_before = user.time_zone
    if time_zone is not None:
        user.time_zone = validate_time_zone(name=time_zone)
    if locale is not None:
        user.locale = validate_locale(tag=locale)
    if display_name is not None:
        user.display_name = display_name.strip()
    if pairs_across_teams is not None:
        user.pairs_across_teams = pairs_across_teams
    user.save(update_fields=["display_name", "time_zone", "locale", "pairs_across_teams"])
    if user.time_zone != zone_before:
        from exercises.services import practice_rebuild  # exercises builds on accounts, not the reverse

        practice_rebuild(user=user)  # the streak's weeks are the person's local weeks
    return user


def firebase_sign_in(*, id_token: str, address: str, may_create_account: bool = True) -> User:
    """Signing in with a Firebase ID token, on the phone or on the web pages: within the address
    limit, and it counts as signing in again (accounts.sign_in)."""
    sign_in_attempt(address=address)
    return signed_in(user=user_from_firebase_token(id_token=id_token, may_create_account=may_create_account))


def firebase_confirm(*, user: User, id_token: str) -> None:
    """A Firebase account proving it is them before something that cannot be undone lightly: a
    valid ID token for their own uid, from a sign-in (not a silent token refresh) of the last
    few minutes, so an unlocked phone is not enough."""
    try:
        claims = _firebase_claims(id_token)
    except (Unauthenticated, NotFound) as refused:  # about the token given, not about the person
        raise Invalid(refused.message, code=refused.code, field="id_token") from None
    if not user.firebase_uid or claims["uid"] != user.firebase_uid:
        raise Invalid("This Firebase ID token is for another account.", code="wrong_firebase_account", field="id_token")
    if claims.get("auth_time", 0) < (timezone.now() - FIREBASE_CONFIRM_WINDOW).timestamp():
        raise Invalid(
            "Sign in to Firebase again, then confirm within a few minutes.",
            code="firebase_sign_in_too_old",
            field="id_token",
        )


def _firebase_claims(id_token: str) -> dict:
    if not firebase.is_configured():
        # Not a fault, a choice of this deployment: the endpoint is as good as absent.
        raise NotFound("Firebase sign-in is not set up on this server.", code="firebase_not_configured")
    try:
        return firebase_auth.verify_id_token(id_token, app=firebase.firebase_app())
    except (
        firebase_auth.InvalidIdTokenError,
        firebase_auth.ExpiredIdTokenError,
        firebase_auth.RevokedIdTokenError,
        ValueError,
    ):
        raise Unauthenticated("The Firebase ID token is not valid.", code="invalid_firebase_token") from None
    except firebase_auth.CertificateFetchError:
        raise Unavailable("Firebase could not be reached; try again.", code="firebase_unreachable") from None


@transaction.atomic
def user_from_firebase_token(*, id_token: str, may_create_account: bool = True) -> User:
    """The account behind a verified Firebase ID token.

    Links by Firebase uid, then by verified email; creates an account only when a team has a
    pending invitation for the email, or the email's domain belongs to an organisation that
    allows sign-up from it; and only where the door asks for that (the web pages do not: nobody
    new may use them, so a refusal there writes no account).
    """
    claims = _firebase_claims(id_token)
    uid = claims["uid"]
    user = User.objects.filter(firebase_uid=uid).first()
    if user is not None:
        return _usable(user)

    email = (claims.get("email") or "").lower()
    if not email or not claims.get("email_verified"):
        raise NotAllowed("Sign in with a verified email address.", code="email_not_verified")
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is not None:
        if user.firebase_uid and user.firebase_uid != uid:
            raise NotAllowed("This email is linked to another Firebase account.", code="firebase_account_mismatch")
        user.firebase_uid = uid
        user.save(update_fields=["firebase_uid"])
        return _usable(user)

    if not may_create_account:
        raise NotAllowed("There is no Humble account for this email address.", code="no_account")
    organisation = _organisation_saying_yes(email)
    if organisation is None:
        raise NotAllowed("Your organisation has not opened Humble to your email domain.", code="signup_not_allowed")
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email,
                None,
                firebase_uid=uid,
                organisation=organisation,
                display_name=(claims.get("name") or "")[:80],
            )
    except IntegrityError:  # a double-tapped first sign-in: the other request made the account
        return _usable(User.objects.get(firebase_uid=uid))


def _organisation_saying_yes(email: str) -> Organisation | None:
    """The organisation a new account with this email belongs to: the one whose pending invitation
    asks for it (the organisation saying yes to this person, whatever its domain policy), else
    the one whose email domain is open to sign-up; None if neither."""
    from teams.selectors import pending_invitation_for  # teams builds on accounts, not the reverse

    invitation = pending_invitation_for(email=email)
    if invitation is not None:
        return invitation.team.organisation
    domain = OrganisationDomain.objects.select_related("organisation").filter(domain=email.rpartition("@")[2]).first()
    return domain.organisation if domain is not None and domain.organisation.allow_domain_signup else None


def _usable(user: User) -> User:
    if not user.is_active:
        raise NotAllowed("This account is disabled.", code="account_disabled")
    return user


@transaction.atomic
def connection_ticket_issue(*, user: User) -> tuple[str, datetime]:
    ticket = secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(seconds=settings.REALTIME_TICKET_SECONDS)
    ConnectionTicket.objects.create(key_hash=secret_digest(ticket), user=user, expires_at=expires_at)
    ConnectionTicket.objects.filter(expires_at__lt=timezone.now() - timedelta(hours=1)).delete()
    return ticket, expires_at


@transaction.atomic
def connection_ticket_redeem(*, ticket: str) -> User | None:
    """The ticket's person, once: a used, expired or unknown ticket gives None."""
    now = timezone.now()
    tickets = ConnectionTicket.objects.filter(key_hash=secret_digest(ticket), used_at=None, expires_at__gt=now)
    user_id = tickets.values_list("user_id", flat=True).first()
    if user_id is None or not tickets.update(used_at=now):
        return None
    return User.objects.filter(pk=user_id, is_active=True, erasure_due_at=None).first()


@transaction.atomic
def sign_out_everywhere(*, user: User) -> None:
    """Every refresh token revoked and every device forgotten: no more pushes, no more sessions."""
    from nudges.triggers import devices_remove_all  # nudges builds on accounts, not the reverse

    _revoke_refresh_tokens(user=user)
    devices_remove_all(user_id=user.pk)


def _revoke_refresh_tokens(*, user: User) -> None:
    for token in OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False):
        BlacklistedToken.objects.get_or_create(token=token)


@sensitive_variables("current_password", "new_password")
@transaction.atomic
def password_change(*, user: User, current_password: str, new_password: str, address: str) -> None:
    """A new password, checked by Django's validators; every other sign-in is revoked. The
    current password is checked as signing in checks it, under the same limits."""
    password_confirm(user=user, password=current_password, address=address, field="current_password")
    try:
        validate_password(new_password, user=user)
    except ValidationError as error:
        raise Invalid(" ".join(error.messages), code="weak_password", field="new_password") from None
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_refresh_tokens(user=user)

"""Erasure: asked for with proof, recoverable for a grace period, then final.

A person asks (with their password, or a fresh Firebase sign-in), is signed out everywhere at
once, and has ERASURE_GRACE_DAYS to change their mind by signing in again (accounts.sign_in).
Meanwhile nothing else changes: colleagues still see their name, acknowledgements and shares
until the worker carries the erasure out, in one transaction, for good.
"""

from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from accounts.services import firebase_confirm, sign_out_everywhere
from accounts.sign_in import password_confirm
from administration.services import audit_forget
from common.errors import Invalid
from group_sessions.services import facilitated_sessions_end
from orphans.services import orphan_claims_release
from teams.services import invitations_forget


@sensitive_variables("password")
@transaction.atomic
def account_erasure_request(
    *, user: User, address: str, password: str | None = None, firebase_id_token: str | None = None
) -> datetime:
    """When the erasure will be carried out. Proof: the password, or for an account without
    one, a Firebase ID token from a sign-in of the last few minutes."""
    if password is not None:
        password_confirm(user=user, password=password, address=address)
    elif firebase_id_token is not None:
        firebase_confirm(user=user, id_token=firebase_id_token)
    else:
        raise Invalid(
            "Confirm with your password, or a fresh Firebase ID token (id_token).", code="confirmation_required"
        )
    user.erasure_due_at = timezone.now() + timedelta(days=settings.ERASURE_GRACE_DAYS)
    user.save(update_fields=["erasure_due_at"])
    sign_out_everywhere(user=user)
    return user.erasure_due_at


def account_erasures_due(*, now: datetime | None = None) -> int:
    """Carries out every erasure whose grace period is over; how many."""
    now = now or timezone.now()
    erased = 0
    for user_id in User.objects.filter(erasure_due_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            # Still due once locked: a sign-in a moment ago calls it off.
            user = User.objects.select_for_update().filter(pk=user_id, erasure_due_at__lte=now).first()
            if user is not None:
                account_erase(user=user)
                erased += 1
    return erased


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Reflections, runs, devices, nudges, answers, reactions, events, acknowledgements sent or
    received, orphans posted: all deleted with the account. What others depend on is handed
    back first, by the apps that own it and as the person's own hand would: their claims are
    released, and live sessions they facilitate end (announced, participants invited to
    reflect). Insight rollups hold only counts, which stay (they were already anonymous)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    orphan_claims_release(user=user)
    facilitated_sessions_end(user=user)
    sign_out_everywhere(user=user)
    invitations_forget(email=user.email)
    audit_forget(email=user.email)
    user.delete()


def rows_referring_to(*, user_id: int) -> dict[str, int]:
    """Every table's rows that still point at this person (erasure's own check, and its test's)."""
    counts = {}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if getattr(field, "many_to_one", False) and field.related_model is not None:
                if field.related_model._meta.label == settings.AUTH_USER_MODEL:
                    found = model._default_manager.filter(**{field.name: user_id}).count()
                    if found:
                        counts[f"{model._meta.label}.{field.name}"] = found
    return counts

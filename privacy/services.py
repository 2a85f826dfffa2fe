"""Erasure: a person's account and everything about them, gone in one transaction."""

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import sign_out_everywhere
from group_sessions.models import GroupSession
from orphans.models import Orphan


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Reflections, runs, devices, nudges, answers, reactions, events, acknowledgements sent or
    received, orphans posted: all deleted with the account. What others depend on is handed
    back first: their claims reopen, and live sessions they facilitate end. Insight rollups
    hold only counts, which stay (they were already anonymous)."""
    User.objects.select_for_update().filter(pk=user.pk).first()
    Orphan.objects.filter(claimed_by=user, status=Orphan.Status.CLAIMED).update(
        status=Orphan.Status.OPEN, claimed_by=None, claimed_at=None, last_activity_at=timezone.now()
    )
    GroupSession.objects.filter(facilitator=user).exclude(phase=GroupSession.Phase.ENDED).update(
        phase=GroupSession.Phase.ENDED, ended_at=timezone.now(), deadline=None
    )
    sign_out_everywhere(user=user)
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

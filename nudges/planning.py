"""Putting nudges in the plan: one row per nudge, never two."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from nudges import tasks
from nudges.models import Nudge


def nudges_insert(*, nudges: list[Nudge]) -> None:
    """Insert-or-ignore on each nudge's dedupe key, so planning twice, or two planners at once,
    never makes two. Anything due now is sent after commit, without waiting for the clock."""
    Nudge.objects.bulk_create(nudges, ignore_conflicts=True, batch_size=1000)
    if any(nudge.due_at <= timezone.now() + timedelta(seconds=5) for nudge in nudges):
        transaction.on_commit(tasks.enqueue_delivery)

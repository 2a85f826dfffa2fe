"""The clock: periodic jobs enqueued as django-tasks tasks, once per slot across all workers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from worker.models import PeriodicRun


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    task: str


JOBS = (
    Job("plan_nudges", timedelta(minutes=5), "nudges.tasks.plan_nudges"),
    # Event-driven nudges are enqueued at once; this catches deferred ones and retries.
    Job("deliver_nudges", timedelta(seconds=20), "nudges.tasks.deliver_nudges"),
    Job("prune_events", timedelta(hours=6), "events.tasks.prune_events"),
    Job("roll_up_insights", timedelta(hours=1), "insights.tasks.roll_up_insights"),
    Job("carry_out_erasures", timedelta(minutes=15), "privacy.tasks.carry_out_erasures"),
)


def enqueue_due_jobs(*, now: datetime | None = None) -> list[str]:
    """Enqueue every job whose current slot nobody has enqueued yet; returns their names."""
    now = now or timezone.now()
    enqueued = []
    for job in JOBS:
        slot = int(now.timestamp() // job.every.total_seconds())
        try:
            with transaction.atomic():
                PeriodicRun.objects.create(job=job.name, slot=slot)
                PeriodicRun.objects.filter(job=job.name, slot__lt=slot).delete()
                import_string(job.task).enqueue()
        except IntegrityError:
            continue  # another worker has this slot
        enqueued.append(job.name)
    return enqueued

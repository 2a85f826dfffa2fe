"""The clock: periodic jobs enqueued as django-tasks tasks, once per slot across all workers."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tasks.base import Task

from chat.tasks import post_to_chat
from events.tasks import prune_events
from group_sessions.tasks import open_scheduled_sessions
from insights.tasks import roll_up_insights
from nudges.tasks import deliver_nudges, plan_nudges
from privacy.tasks import carry_out_erasures
from worker.models import PeriodicRun


@dataclass(frozen=True)
class Job:
    task: Task
    every: timedelta

    @property
    def name(self) -> str:
        return self.task.name


JOBS = (
    Job(plan_nudges, every=timedelta(minutes=5)),
    # Event-driven nudges are enqueued at once; this catches deferred ones and retries.
    Job(deliver_nudges, every=timedelta(seconds=20)),
    Job(prune_events, every=timedelta(hours=6)),
    Job(roll_up_insights, every=timedelta(hours=1)),
    Job(carry_out_erasures, every=timedelta(minutes=15)),
    # A scheduled session opens within this long of its time (scheduled_sessions_open).
    Job(open_scheduled_sessions, every=timedelta(seconds=30)),
    # Teams' moments reach their chat channels within about a minute (chat.delivery).
    Job(post_to_chat, every=timedelta(seconds=30)),
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
                job.task.enqueue()
        except IntegrityError:
            continue  # another worker has this slot
        enqueued.append(job.name)
    return enqueued

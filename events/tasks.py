from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task


@task()
def prune_events() -> int:
    from events.services import events_prune

    return events_prune(older_than=timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS))

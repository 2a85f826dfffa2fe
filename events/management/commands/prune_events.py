from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from events.services import events_prune


class Command(BaseCommand):
    help = "Delete events older than EVENT_RETENTION_DAYS."

    def handle(self, *args, **options):
        cut = timezone.now() - timedelta(days=settings.EVENT_RETENTION_DAYS)
        self.stdout.write(f"Pruned {events_prune(older_than=cut)} events.")

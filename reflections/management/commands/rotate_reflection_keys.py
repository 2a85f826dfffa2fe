from django.core.management.base import BaseCommand

from reflections.services import reflection_keys_rotate


class Command(BaseCommand):
    help = "Re-encrypt every reflection under the first key of REFLECTION_KEYS."

    def handle(self, *args, **options):
        self.stdout.write(f"Re-encrypted {reflection_keys_rotate()} reflections.")

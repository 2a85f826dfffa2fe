from django.core.management.base import BaseCommand

from chat.services import chat_keys_rotate
from reflections.services import reflection_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every reflection, and every chat channel's webhook address, under the first key of REFLECTION_KEYS."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"Re-encrypted {reflection_keys_rotate()} reflections.")
        self.stdout.write(f"Re-encrypted {chat_keys_rotate()} chat webhook addresses.")

from django.core.management.base import BaseCommand, CommandError

from exercises.content import ContentPackError
from exercises.services import content_pack_load


class Command(BaseCommand):
    help = "Load the exercise content pack (idempotent: an unchanged pack is skipped)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load even if this pack was loaded already.")

    def handle(self, *args, force=False, **options):
        try:
            loaded = content_pack_load(force=force)
        except ContentPackError as error:
            raise CommandError(f"Content pack not loaded: {error}") from None
        self.stdout.write(f"Content pack {loaded} loaded." if loaded else "Content pack unchanged.")

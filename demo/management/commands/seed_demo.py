from django.core.management.base import BaseCommand

from demo.seed import DEMO_PASSWORD, demo_logins, demo_seed


class Command(BaseCommand):
    help = "Create the demo organisation, teams, people and history (once; refused in production)."

    def handle(self, *args, **options):
        created = demo_seed()
        self.stdout.write("Demo data created." if created else "Demo data already present.")
        self.stdout.write(f"Demo logins (password: {DEMO_PASSWORD}):")
        for login in demo_logins():
            self.stdout.write(f"  {login.email:<24} {login.role}")

from django.core.management.base import BaseCommand

from sales.services import idempotency_purge


class Command(BaseCommand):
    help = "Delete idempotency keys older than their 24-hour window (run it from cron, hourly)."

    def handle(self, *args, **options):
        deleted = idempotency_purge()
        self.stdout.write(f"Deleted {deleted} expired idempotency key(s).")

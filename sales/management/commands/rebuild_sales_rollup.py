from django.core.management.base import BaseCommand

from sales import rollup


class Command(BaseCommand):
    help = "Recompute the sales rollup (report totals) from orders, refunds and payments."

    def handle(self, *args, **options):
        rows = rollup.rebuild()
        self.stdout.write(f"Sales rollup rebuilt: {rows} row(s).")

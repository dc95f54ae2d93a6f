"""Verify the stock invariant: every level equals the sum of its ledger rows."""

from uuid import UUID

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import Branch
from catalog.models import Product, StockLevel, StockMovement

# One grouped query: levels full-joined with the ledger's per-(product, branch) sums, so ledger
# rows without a level row are seen too. FULL JOIN: PostgreSQL, and SQLite >= 3.39.
_MISMATCHES = """
SELECT COALESCE(l.product_id, m.product_id), p.name,
       COALESCE(l.branch_id, m.branch_id), b.code,
       l.quantity, COALESCE(m.total, 0)
FROM {level} l
FULL OUTER JOIN (
    SELECT product_id, branch_id, SUM(quantity) AS total FROM {movement}
    GROUP BY product_id, branch_id
) m ON m.product_id = l.product_id AND m.branch_id = l.branch_id
LEFT JOIN {product} p ON p.id = COALESCE(l.product_id, m.product_id)
LEFT JOIN {branch} b ON b.id = COALESCE(l.branch_id, m.branch_id)
WHERE COALESCE(l.quantity, 0) <> COALESCE(m.total, 0)
ORDER BY b.code, p.name
"""


class Command(BaseCommand):
    help = (
        "Check that every stock level equals the sum of its stock movements (and that no "
        "movements lack a level). Prints each mismatch; exits non-zero if there is any."
    )

    def handle(self, *args, **options):
        sql = _MISMATCHES.format(
            level=StockLevel._meta.db_table,
            movement=StockMovement._meta.db_table,
            product=Product._meta.db_table,
            branch=Branch._meta.db_table,
        )
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        for product_id, name, branch_id, code, quantity, total in rows:
            # UUID(): PostgreSQL answers UUIDs, SQLite their hex strings.
            where = f"{name} ({UUID(str(product_id))}) at {code or UUID(str(branch_id))}"
            if quantity is None:
                self.stdout.write(f"{where}: no stock level row, ledger sums to {total}")
            else:
                self.stdout.write(f"{where}: level {quantity}, ledger sums to {total}")
        if rows:
            raise CommandError(f"{len(rows)} stock level(s) disagree with the ledger.")
        self.stdout.write(self.style.SUCCESS("Every stock level matches its ledger."))

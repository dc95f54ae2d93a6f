"""A covering index for the report queries over order lines. Retired by 0002 once
the reports moved to the sales rollups; kept for the databases that applied it.

reporting has no models: this index sits on a sales table and serves reporting.selectors
(verified with EXPLAIN ANALYZE on a million order lines, docs/reporting.md). With every column
the products report reads in the index, the lines of a period's orders are found index-only.

A plain CREATE INDEX (a short write lock on the table while it builds, ~1 s per million lines):
migrations run under `migrate_locked`, whose waiting sessions a CONCURRENTLY build would wait
for. On a big live database create it CONCURRENTLY by hand first; IF NOT EXISTS then skips it.
"""

from django.db import migrations

INDEXES = {
    # Lines of the orders of a period: products report, top products.
    "reporting_item_order": (
        "sales_orderitem",
        "(order_id) INCLUDE (id, product_id, quantity, line_total, tax_amount, unit_cost)",
    ),
}
#: Created by an earlier version of this migration, dropped by 0002 (reports read the rollups).
RETIRED = ("reporting_order_branch_day", "reporting_order_day", "reporting_payment_order")


def create(apps, schema_editor):
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    for name in (*INDEXES, *RETIRED):
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]

"""Covering indexes for the report queries (PostgreSQL), created without blocking writes.

reporting has no models: these indexes sit on sales tables and serve reporting.selectors, each
verified with EXPLAIN ANALYZE on a million order lines (docs/reporting.md). With every column a
report reads in the index, the scans of a period are index-only (no heap visits for settled
pages), and the per-order lookups of lines and payments too.
"""

from django.db import migrations

INDEXES = {
    # Order-level figures of one branch (managers): by day, hour, cashier; refunds guarded by status.
    "reporting_order_branch_day": (
        "sales_order",
        "(branch_id, business_date) INCLUDE "
        "(id, status, business_hour, cashier_id, total_amount, tax_amount, discount_amount)",
    ),
    # The same for every branch (admins, the branches report).
    "reporting_order_day": (
        "sales_order",
        "(business_date) INCLUDE "
        "(id, branch_id, status, business_hour, cashier_id, total_amount, tax_amount, "
        "discount_amount)",
    ),
    # Lines of the orders of a period: products report, items sold.
    "reporting_item_order": (
        "sales_orderitem",
        "(order_id) INCLUDE (id, product_id, quantity, line_total, tax_amount, unit_cost)",
    ),
    # Payment methods of the orders of a period.
    "reporting_payment_order": ("sales_payment", "(order_id) INCLUDE (method, applied_amount)"),
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # the SQLite demo is small; INCLUDE is PostgreSQL's
    for name, (table, columns) in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} {columns}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("sales", "0001_initial")]

    operations = [migrations.RunPython(create, drop, atomic=False)]

"""Drop the covering indexes on orders and payments that the first version of 0001 made.

Order-level report figures (counts, revenue, tax, items, payment methods) now come from
sales.SalesRollup, so those indexes only cost writes. Only the lines index stays.
"""

from django.db import migrations

RETIRED = ("reporting_order_branch_day", "reporting_order_day", "reporting_payment_order")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in RETIRED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_report_indexes"), ("sales", "0002_sales_rollup")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]

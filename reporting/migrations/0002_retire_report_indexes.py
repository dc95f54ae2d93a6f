"""Drop the covering indexes 0001 made on sales tables: reports now read the sales rollups.

Order-level figures come from sales.SalesRollup and product figures from
sales.ProductSalesRollup (each with its own (business_date, branch) index), so no report scans
orders, lines or payments any more and these indexes would only cost writes.
"""

from django.db import migrations

RETIRED = (
    "reporting_order_branch_day",
    "reporting_order_day",
    "reporting_payment_order",
    "reporting_item_order",
)


def drop(apps, schema_editor):
    for name in RETIRED:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_report_indexes"), ("sales", "0004_product_sales_rollup")]

    operations = [migrations.RunPython(drop, migrations.RunPython.noop)]

"""`pospro_low_stock_products{branch}`: each branch's low stock rows (catalog.selectors)."""

from django.db.models import Count

from catalog.selectors import low_stock_levels


def low_stock_gauge():
    rows = (
        low_stock_levels(branch_id=None)
        .order_by("branch__code")
        .values("branch__code")
        .annotate(count=Count("id"))
    )
    return (
        "pospro_low_stock_products",
        "Active products at or below their critical stock level, per branch.",
        [({"branch": row["branch__code"]}, row["count"]) for row in rows],
    )

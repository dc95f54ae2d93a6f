"""`pospro_low_stock_products{branch}`: stock rows at or below their product's critical level."""

from django.db.models import Count, F

from catalog.models import StockLevel


def low_stock_gauge():
    rows = (
        StockLevel.objects.filter(
            product__is_active=True, quantity__lte=F("product__critical_stock_level")
        )
        .values("branch__code")
        .annotate(count=Count("id"))
        .order_by("branch__code")
    )
    return (
        "pospro_low_stock_products",
        "Active products at or below their critical stock level, per branch.",
        [({"branch": row["branch__code"]}, row["count"]) for row in rows],
    )

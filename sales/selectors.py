"""Reads of orders and customers beyond a plain filter: list querysets and aggregates.

Revenue rule used everywhere (stats and reports): an order counts on its business day for its
total minus what was refunded of it; cancelled orders count for nothing.
"""

from datetime import date

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.scoping import for_user
from pospro.money import ZERO, quantize
from sales.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
    RefundItem,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)


def order_queryset(user):
    """Orders the user may read, with everything the full representation needs (4 queries)."""
    return for_user(Order.objects.all(), user).prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.order_by("line_no")),
        Prefetch("payments", queryset=Payment.objects.order_by("position", "id")),
        Prefetch(
            "refunds",
            queryset=Refund.objects.order_by("created_at", "id").prefetch_related(
                Prefetch("items", queryset=RefundItem.objects.order_by("order_item__line_no", "id"))
            ),
        ),
    )


def customer_queryset():
    """Active customers with what they spent (net of refunds) and how many orders they placed."""
    counted = Order.objects.filter(customer=OuterRef("pk")).exclude(status=OrderStatus.CANCELLED)
    spent = (
        counted.order_by().values("customer").annotate(total=Sum("total_amount")).values("total")
    )
    refunded = (
        Refund.objects.filter(order__customer=OuterRef("pk"))
        .exclude(order__status=OrderStatus.CANCELLED)
        .order_by()
        .values("order__customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    orders = counted.order_by().values("customer").annotate(n=Count("pk")).values("n")
    return Customer.objects.filter(is_active=True).annotate(
        total_spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO, output_field=MONEY)
        - Coalesce(Subquery(refunded, output_field=MONEY), ZERO, output_field=MONEY),
        order_count=Coalesce(Subquery(orders, output_field=IntegerField()), 0),
    )


def _period_orders(start: date, end: date, branch_id):
    orders = Order.objects.filter(business_date__gte=start, business_date__lte=end).exclude(
        status=OrderStatus.CANCELLED
    )
    if branch_id:
        orders = orders.filter(branch_id=branch_id)
    return orders


def order_stats(*, start: date, end: date, branch_id=None, top: int = 10) -> dict:
    """Totals for business days start..end: a fixed handful of grouped queries, no loops over
    orders. Revenue is net of refunds of those orders; cancelled orders are excluded."""
    orders = _period_orders(start, end, branch_id)
    totals = orders.aggregate(
        count=Count("pk"), gross=Coalesce(Sum("total_amount"), ZERO, output_field=MONEY)
    )
    refunds = Refund.objects.filter(order__in=orders.values("pk"))
    refund_by_method = dict(refunds.order_by().values_list("method").annotate(total=Sum("amount")))
    paid_by_method = dict(
        Payment.objects.filter(order__in=orders.values("pk"))
        .order_by()
        .values_list("method")
        .annotate(total=Sum("applied_amount"))
    )
    refunded_total = sum(refund_by_method.values(), ZERO)
    revenue = totals["gross"] - refunded_total
    count = totals["count"]

    return {
        "total_orders": count,
        "total_revenue": revenue,
        "average_order_value": quantize(revenue / count) if count else ZERO,
        "payment_methods": {
            method: paid_by_method.get(method, ZERO) - refund_by_method.get(method, ZERO)
            for method in PaymentMethod.values
        },
        "top_products": top_products(orders, limit=top),
    }


def top_products(orders, *, limit: int = 10) -> list[dict]:
    """Best sellers among `orders` by revenue net of refunds: one grouped query."""
    returned = (
        RefundItem.objects.filter(
            refund__order__in=orders.values("pk"), order_item__product_id=OuterRef("product_id")
        )
        .order_by()
        .values("order_item__product_id")
    )
    returned_qty = returned.annotate(n=Sum("quantity")).values("n")
    returned_amount = returned.annotate(total=Sum("amount")).values("total")
    rows = (
        OrderItem.objects.filter(order__in=orders.values("pk"))
        .order_by()
        .values("product_id", "product__name")
        .annotate(
            quantity_sold=Sum("quantity")
            - Coalesce(Subquery(returned_qty, output_field=IntegerField()), 0),
            revenue=Sum("line_total")
            - Coalesce(Subquery(returned_amount, output_field=MONEY), ZERO, output_field=MONEY),
        )
        .order_by("-revenue", "-quantity_sold", "product_id")[:limit]
    )
    return [
        {
            "product_id": row["product_id"],
            "name": row["product__name"],
            "quantity_sold": row["quantity_sold"],
            "revenue": row["revenue"],
        }
        for row in rows
    ]

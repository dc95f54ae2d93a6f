"""Reads of orders and customers beyond a plain filter: list querysets and aggregates.

Period figures (`/orders/stats`, reports, the dashboard) live in reporting.selectors, with the
one revenue rule: an order counts on its business day for its total minus what was refunded of
it; cancelled orders count for nothing. `total_spent` below follows the same rule.
"""

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from accounts.scoping import for_user
from pospro.money import ZERO
from sales.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    Refund,
    RefundItem,
    SalesRollup,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)


def _lines() -> dict:
    """An order's related rows in the order its representation lists them."""
    return {
        "items": OrderItem.objects.order_by("line_no"),
        "payments": Payment.objects.order_by("position", "id"),
        "refunds": Refund.objects.order_by("created_at", "id"),
    }


def _refund_lines():
    return RefundItem.objects.order_by("order_item__line_no", "id")


def order_queryset(user):
    """Orders the user may read, with everything the full representation needs (4 queries)."""
    lines = _lines()
    lines["refunds"] = lines["refunds"].prefetch_related(
        Prefetch("items", queryset=_refund_lines())
    )
    return for_user(Order.objects.all(), user).prefetch_related(
        *(Prefetch(name, queryset=rows) for name, rows in lines.items())
    )


def attach_lines(orders: list[Order]) -> list[Order]:
    """Fill each order's prefetch cache (items, payments, refunds with their items) with one
    query per relation, as prefetch_related would, minus its per-order cost: for a Prefetch
    with its own queryset Django clones and filters that queryset once per order and relation,
    a third of a twenty-order page's CPU. The lists stand where `order.items.all()` and
    sales.api.render read them."""
    by_id = {}
    for order in orders:
        order._prefetched_objects_cache = {"items": [], "payments": [], "refunds": []}
        by_id[order.pk] = order
    if not by_id:
        return orders
    refunds = {}
    for name, rows in _lines().items():
        for row in rows.filter(order_id__in=by_id):
            by_id[row.order_id]._prefetched_objects_cache[name].append(row)
            if name == "refunds":
                row._prefetched_objects_cache = {"items": []}
                refunds[row.pk] = row
    if refunds:
        for line in _refund_lines().filter(refund_id__in=refunds):
            refunds[line.refund_id]._prefetched_objects_cache["items"].append(line)
    return orders


def order_list_total(user, queryset, query_params) -> int:
    """The orders list's `total`: an unfiltered list takes it from order_total, a filtered one
    (dates, status, cashier... narrow it on an index) counts its rows."""
    if any(key not in ("skip", "limit") for key in query_params):
        return queryset.count()
    return order_total(user)


def order_total(user) -> int:
    """How many orders `user` may read, exactly, without counting them one by one: the report
    rollup (sales.rollup, kept in the same transactions as the orders) holds the orders net of
    cancellations, and the few cancelled ones are counted on their partial index."""
    counted = for_user(SalesRollup.objects.all(), user).aggregate(n=Sum("orders"))["n"] or 0
    cancelled = for_user(Order.objects.filter(status=OrderStatus.CANCELLED), user).count()
    return counted + cancelled


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

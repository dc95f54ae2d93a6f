"""Reads of orders and customers beyond a plain filter: list querysets and aggregates.

Period figures (`/orders/stats`, reports, the dashboard) live in reporting.selectors, with the
one revenue rule: an order counts on its business day for its total minus what was refunded of
it; cancelled orders count for nothing. `total_spent` below follows the same rule.
"""

from django.db.models import (
    Count,
    DecimalField,
    IntegerField,
    OuterRef,
    Prefetch,
    Subquery,
    Sum,
    prefetch_related_objects,
)
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


def _refund_items():
    return RefundItem.objects.order_by("order_item__line_no", "id")


def order_lines() -> list[Prefetch]:
    """An order's related rows (items, payments, refunds with their items) in the order its
    representation lists them."""
    return [
        Prefetch("items", queryset=OrderItem.objects.order_by("line_no")),
        Prefetch("payments", queryset=Payment.objects.order_by("position", "id")),
        Prefetch(
            "refunds",
            queryset=Refund.objects.order_by("created_at", "id").prefetch_related(
                Prefetch("items", queryset=_refund_items())
            ),
        ),
    ]


def order_queryset(user):
    """Orders the user may read, with everything the full representation needs (4 queries, 5
    with refunds)."""
    return for_user(Order.objects.all(), user).prefetch_related(*order_lines())


def order_with_lines(order: Order) -> Order:
    """`order` with its lines fetched for its representation (a new order's answer)."""
    prefetch_related_objects([order], *order_lines())
    return order


def refund_with_items(refund: Refund) -> Refund:
    prefetch_related_objects([refund], Prefetch("items", queryset=_refund_items()))
    return refund


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

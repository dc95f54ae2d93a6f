"""Business counters for /metrics, counted when the order's transaction commits."""

from django.db import transaction
from prometheus_client import Counter

ORDERS = Counter(
    "pospro_orders",
    "Orders created, by branch and payment method ('split' when several methods paid).",
    ["branch", "payment_method"],
)
REVENUE = Counter("pospro_revenue", "Total amount of orders created (VAT included).", ["branch"])
REFUNDED = Counter("pospro_refunded", "Amount refunded.", ["branch"])
CANCELLED = Counter("pospro_cancelled_orders", "Orders cancelled.", ["branch"])


def _branch_label(order) -> str:
    return order.branch.code


def order_created_on_commit(order, payments) -> None:
    methods = {payment.method for payment in payments}
    method = methods.pop() if len(methods) == 1 else ("split" if methods else "none")
    branch, total = _branch_label(order), float(order.total_amount)

    def count() -> None:
        ORDERS.labels(branch=branch, payment_method=method).inc()
        REVENUE.labels(branch=branch).inc(total)

    transaction.on_commit(count)


def refund_created_on_commit(order, refund) -> None:
    branch, amount = _branch_label(order), float(refund.amount)
    transaction.on_commit(lambda: REFUNDED.labels(branch=branch).inc(amount))


def order_cancelled_on_commit(order) -> None:
    branch = _branch_label(order)
    transaction.on_commit(lambda: CANCELLED.labels(branch=branch).inc())

"""Business counters for /metrics, counted when the order's transaction commits, and the cash
gauges, read from the database when Prometheus scrapes."""

from django.db import transaction
from django.db.models import Count, Sum
from prometheus_client import Counter

from sales.models import CashSession, CashSessionStatus

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


# --- Gauges read from the database at scrape time (pospro.metrics.register_gauge) ----------------


def cash_over_short_gauge():
    """`pospro_cash_over_short_total{branch}`: the counted minus expected cash of every closed
    session, per branch (negative: drawers came up short). A database fact, so every worker
    answers the same figure; a branch without closed sessions is absent."""
    rows = (
        CashSession.objects.filter(status=CashSessionStatus.CLOSED)
        .order_by("branch__code")
        .values("branch__code")
        .annotate(total=Sum("over_short"))
    )
    return (
        "pospro_cash_over_short_total",
        "Sum of over/short (counted minus expected cash) of the closed cash sessions, per branch.",
        [({"branch": row["branch__code"]}, float(row["total"])) for row in rows],
    )


def cash_sessions_open_gauge():
    """`pospro_cash_sessions_open{branch}`: drawers open right now, per branch."""
    rows = (
        CashSession.objects.filter(status=CashSessionStatus.OPEN)
        .order_by("branch__code")
        .values("branch__code")
        .annotate(count=Count("id"))
    )
    return (
        "pospro_cash_sessions_open",
        "Cash sessions open now (drawers not yet counted), per branch.",
        [({"branch": row["branch__code"]}, row["count"]) for row in rows],
    )

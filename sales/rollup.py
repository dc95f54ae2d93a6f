"""Keeps `SalesRollup` and `ProductSalesRollup` in step with sales, in the sale's transaction.

Every event adds signed amounts to its rows: a sale adds its totals, a cancellation subtracts
them, a refund adds to `refunded` and takes its amount off the refund's payment method and its
quantities off `items` (and off its products). Each row gets one F() update, which locks it to
commit, in a fixed order (products by id, then the sales row), so concurrent sales cannot
deadlock; a row's first event inserts it. `rebuild()` recomputes every row from the orders,
lines, refunds and payments (backfills, checks).
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from pospro.money import ZERO
from sales.models import (
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    ProductSalesRollup,
    Refund,
    RefundItem,
    SalesRollup,
)

PRODUCT_COLUMNS = ("lines", "quantity", "revenue", "net_revenue", "cost")


def _add_to_row(model, key: dict, deltas: dict) -> None:
    """Add `deltas` to the row of `model` at `key` (one UPDATE, its row locked to commit); the
    first event of a row inserts it first (ON CONFLICT DO NOTHING, as two sales may meet)."""
    increments = {name: F(name) + delta for name, delta in deltas.items() if delta}
    if not increments:
        return
    if not model.objects.filter(**key).update(**increments):
        model.objects.bulk_create([model(**key)], ignore_conflicts=True)
        model.objects.filter(**key).update(**increments)


def _add_products(order: Order, deltas: dict) -> None:
    """deltas: {product_id: (lines, quantity, revenue, net_revenue, cost)} to add to the
    order's branch-day rows, in product order so that concurrent sales cannot deadlock."""
    for product_id in sorted(deltas):
        _add_to_row(
            ProductSalesRollup,
            {
                "branch_id": order.branch_id,
                "business_date": order.business_date,
                "product_id": product_id,
            },
            dict(zip(PRODUCT_COLUMNS, deltas[product_id], strict=True)),
        )


def _line_deltas(items, sign: int) -> dict:
    rows: dict = {}
    for item in items:
        lines, qty, revenue, net, cost = rows.get(item.product_id, (0, 0, ZERO, ZERO, ZERO))
        rows[item.product_id] = (
            lines + sign,
            qty + sign * item.quantity,
            revenue + sign * item.line_total,
            net + sign * (item.line_total - item.tax_amount),
            cost + sign * item.quantity * item.unit_cost,
        )
    return rows


def _add(order: Order, **deltas) -> None:
    """Add `deltas` to the sales row of the order's branch, day, hour and cashier (locked after
    its products' rows)."""
    grain = {
        "branch_id": order.branch_id,
        "business_date": order.business_date,
        "business_hour": order.business_hour,
        "cashier_id": order.cashier_id,
    }
    _add_to_row(SalesRollup, grain, deltas)


def _by_method(payments) -> dict[str, Decimal]:
    totals = dict.fromkeys(PaymentMethod.values, ZERO)
    for payment in payments:
        totals[payment.method] += payment.applied_amount
    return totals


def record_sale(order: Order, items, payments) -> None:
    _add_products(order, _line_deltas(items, 1))
    _add(
        order,
        orders=1,
        gross=order.total_amount,
        tax=order.tax_amount,
        discount=order.discount_amount,
        items=sum(item.quantity for item in items),
        **_by_method(payments),
    )


def record_cancel(order: Order, items, payments) -> None:
    _add_products(order, _line_deltas(items, -1))
    _add(
        order,
        orders=-1,
        gross=-order.total_amount,
        tax=-order.tax_amount,
        discount=-order.discount_amount,
        items=-sum(item.quantity for item in items),
        **{method: -amount for method, amount in _by_method(payments).items()},
    )


def record_refund(order: Order, refund: Refund, refund_items) -> None:
    rows: dict = {}
    for part in refund_items:
        item = part.order_item
        _, qty, revenue, net, cost = rows.get(item.product_id, (0, 0, ZERO, ZERO, ZERO))
        rows[item.product_id] = (
            0,
            qty - part.quantity,
            revenue - part.amount,
            net - (part.amount - part.tax_amount),
            cost - part.quantity * item.unit_cost,
        )
    _add_products(order, rows)
    _add(
        order,
        refunded=refund.amount,
        tax=-refund.tax_amount,
        items=-sum(item.quantity for item in refund_items),
        **{refund.method: -refund.amount},
    )


@transaction.atomic
def rebuild() -> int:
    """Recompute every row from the source tables; returns the number of rows."""
    SalesRollup.objects.all().delete()
    live = Order.objects.exclude(status=OrderStatus.CANCELLED)
    group = ("branch_id", "business_date", "business_hour", "cashier_id")

    def per_order(queryset, field, alias):
        return (
            queryset.filter(**{f"{alias}": OuterRef("pk")})
            .order_by()
            .values(alias)
            .annotate(total=Sum(field))
            .values("total")
        )

    refunded = per_order(Refund.objects.all(), "amount", "order")
    refunded_tax = per_order(Refund.objects.all(), "tax_amount", "order")
    sold = per_order(OrderItem.objects.all(), "quantity", "order")
    returned = per_order(RefundItem.objects.all(), "quantity", "refund__order")

    def paid(method):
        return per_order(Payment.objects.filter(method=method), "applied_amount", "order")

    def refunded_by(method):
        return per_order(Refund.objects.filter(method=method), "amount", "order")

    money = {"output_field": SalesRollup._meta.get_field("gross")}
    annotated = live.annotate(
        r_amount=Coalesce(Subquery(refunded), Value(ZERO), **money),
        r_tax=Coalesce(Subquery(refunded_tax), Value(ZERO), **money),
        n_sold=Coalesce(Subquery(sold), 0, output_field=IntegerField()),
        n_returned=Coalesce(Subquery(returned), 0, output_field=IntegerField()),
        **{
            f"m_{m}": Coalesce(Subquery(paid(m)), Value(ZERO), **money)
            - Coalesce(Subquery(refunded_by(m)), Value(ZERO), **money)
            for m in PaymentMethod.values
        },
    )
    # Written day by day, the order the sales themselves write a live table in: a report's
    # day or week then reads a few adjacent pages, not one page per row.
    rows = (
        annotated.order_by("business_date", "branch_id", "business_hour", "cashier_id")
        .values(*group)
        .annotate(
            orders=Count("pk"),
            gross=Sum("total_amount"),
            refunded=Sum("r_amount"),
            tax=Sum(F("tax_amount") - F("r_tax")),
            discount=Sum("discount_amount"),
            items=Sum(F("n_sold") - F("n_returned")),
            **{m: Sum(f"m_{m}") for m in PaymentMethod.values},
        )
    )
    created = SalesRollup.objects.bulk_create([SalesRollup(**row) for row in rows], batch_size=2000)
    products = _rebuild_products()
    return len(created) + products


def _rebuild_products() -> int:
    ProductSalesRollup.objects.all().delete()
    lines = OrderItem.objects.exclude(order__status=OrderStatus.CANCELLED)
    money = {"output_field": ProductSalesRollup._meta.get_field("revenue")}

    def refunded(field):
        return (
            RefundItem.objects.filter(order_item=OuterRef("pk"))
            .order_by()
            .values("order_item")
            .annotate(total=Sum(field))
            .values("total")
        )

    annotated = lines.annotate(
        r_qty=Coalesce(Subquery(refunded("quantity")), 0, output_field=IntegerField()),
        r_amount=Coalesce(Subquery(refunded("amount")), Value(ZERO), **money),
        r_tax=Coalesce(Subquery(refunded("tax_amount")), Value(ZERO), **money),
    )
    rows = (
        annotated.order_by("order__business_date", "order__branch_id", "product_id")
        .values(
            "product_id", branch_id=F("order__branch_id"), business_date=F("order__business_date")
        )
        .annotate(  # new names: "quantity" would shadow the line's own field below
            n_lines=Count("pk"),
            n_quantity=Sum(F("quantity") - F("r_qty")),
            n_revenue=Sum(F("line_total") - F("r_amount"), **money),
            n_net=Sum(F("line_total") - F("tax_amount") - F("r_amount") + F("r_tax"), **money),
            n_cost=Sum((F("quantity") - F("r_qty")) * F("unit_cost"), **money),
        )
    )
    created = ProductSalesRollup.objects.bulk_create(
        [
            ProductSalesRollup(
                branch_id=row["branch_id"],
                business_date=row["business_date"],
                product_id=row["product_id"],
                lines=row["n_lines"],
                quantity=row["n_quantity"],
                revenue=row["n_revenue"],
                net_revenue=row["n_net"],
                cost=row["n_cost"],
            )
            for row in rows
        ],
        batch_size=5000,
    )
    return len(created)

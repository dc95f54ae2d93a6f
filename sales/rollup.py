"""Keeps `SalesRollup` and `ProductSalesRollup` in step with sales, in the sale's transaction.

Every event adds signed amounts with one INSERT ... ON CONFLICT DO UPDATE per table: a sale
adds its totals, a cancellation subtracts them, a refund adds to `refunded` and takes its
amount off the refund's payment method and its quantities off `items` (and off its products).
`rebuild()` recomputes every row from the orders, lines, refunds and payments (backfills,
checks).
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from pospro.db import uuid_param
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

AMOUNTS = ("gross", "refunded", "tax", "discount", "cash", "card", "meal_card", "credit")
COUNTS = ("orders", "items")
COLUMNS = COUNTS + AMOUNTS


PRODUCT_COLUMNS = ("lines", "quantity", "revenue", "net_revenue", "cost")


def _add_products(order: Order, rows: dict) -> None:
    """rows: {product_id: (lines, quantity, revenue, net_revenue, cost)} deltas."""
    if not rows:
        return
    table = connection.ops.quote_name(ProductSalesRollup._meta.db_table)
    names = ", ".join(PRODUCT_COLUMNS)
    one = "(" + ", ".join(["%s"] * (3 + len(PRODUCT_COLUMNS))) + ")"
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in PRODUCT_COLUMNS)
    params = []
    for product_id in sorted(rows):  # a fixed order: concurrent upserts cannot deadlock
        params += [
            uuid_param(order.branch_id),
            order.business_date,
            uuid_param(product_id),
            *rows[product_id],
        ]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (branch_id, business_date, product_id, {names}) "  # noqa: S608
            f"VALUES {', '.join([one] * len(rows))} "
            f"ON CONFLICT (branch_id, business_date, product_id) DO UPDATE SET {updates}",
            params,
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
    values = {name: deltas.get(name, 0) for name in COLUMNS}
    table = connection.ops.quote_name(SalesRollup._meta.db_table)
    names = ", ".join(COLUMNS)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (branch_id, business_date, business_hour, cashier_id, {names}) "  # noqa: S608
            f"VALUES (%s, %s, %s, %s, {placeholders}) "
            f"ON CONFLICT (branch_id, business_date, business_hour, cashier_id) "
            f"DO UPDATE SET {updates}",
            [
                uuid_param(order.branch_id),
                order.business_date,
                order.business_hour,
                uuid_param(order.cashier_id),
                *(values[name] for name in COLUMNS),
            ],
        )


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
    return len(created) + _rebuild_products()


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

"""Keeps `SalesRollup` in step with sales, inside the sale's own transaction.

Every event adds signed amounts to one row with a single INSERT ... ON CONFLICT DO UPDATE:
a sale adds its totals, a cancellation subtracts them, a refund adds to `refunded` and takes
its amount off the refund's payment method and its quantities off `items`. `rebuild()`
recomputes every row from the orders, refunds and payments (backfills, checks).
"""

from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from pospro.money import ZERO
from sales.models import (
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
    RefundItem,
    SalesRollup,
)

AMOUNTS = ("gross", "refunded", "tax", "discount", "cash", "card", "meal_card", "credit")
COUNTS = ("orders", "items")
COLUMNS = COUNTS + AMOUNTS


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
                order.branch_id,
                order.business_date,
                order.business_hour,
                order.cashier_id,
                *(values[name] for name in COLUMNS),
            ],
        )


def _by_method(payments) -> dict[str, Decimal]:
    totals = dict.fromkeys(PaymentMethod.values, ZERO)
    for payment in payments:
        totals[payment.method] += payment.applied_amount
    return totals


def record_sale(order: Order, items, payments) -> None:
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
    rows = (
        annotated.order_by()
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
    return len(created)

"""Keeps `SalesRollup` and `ProductSalesRollup` in step with sales, in the sale's transaction.

Every event adds signed amounts with one INSERT ... ON CONFLICT DO UPDATE per table: a sale
adds its totals, a cancellation subtracts them, a refund adds to `refunded` and takes its
amount off the refund's payment method and its quantities off `items` (and off its products).
`rebuild()` recomputes every row from the orders, lines, refunds and payments (backfills,
checks).

On PostgreSQL the same transactions keep `ProductDayLeader`, each branch-day's candidate best
sellers, a superset of its top LEADERS by revenue (ties included), and `ProductDayThreshold`,
the day's floor for joining them, never above its LEADERS-th revenue. A sale adds its products
whose revenue reaches the floor. Sales only raise revenues, so the LEADERS-th can only grow and
a floor stays low enough; every RAISE_EVERY-th sale of a process raises it to the LEADERS-th
revenue among the leaders (never lowering it), so few products join beyond the true top. A
refund or cancellation, which can lower a leader and so let another product in, ranks the day
anew from the rollup and sets the floor exactly. Refunds and cancellations hold the day's
advisory lock exclusively and sales hold it shared, taken before any rollup row: a new
ranking never misses a sale in flight, and a sale never reads a floor a refund is changing.
Whatever a sale reads in its statement's snapshot is at most what has committed since (sales
in flight only add leaders and raise revenues), so it can let in too many, never too few.

A sale pays no extra round trip for this: it takes the shared lock in the statement that
numbers the order (`day_lock_sql`, before any rollup row), and adds its leaders in the
statement that adds its products to the rollup (one data-modifying CTE; the floor is one
index probe). Thresholds are literals, so the prepared statements keep one generic plan.
"""

import functools
import itertools
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
    ProductDayLeader,
    ProductDayThreshold,
    ProductSalesRollup,
    Refund,
    RefundItem,
    SalesRollup,
)

AMOUNTS = ("gross", "refunded", "tax", "discount", "cash", "card", "meal_card", "credit")
COUNTS = ("orders", "items")
COLUMNS = COUNTS + AMOUNTS


PRODUCT_COLUMNS = ("lines", "quantity", "revenue", "net_revenue", "cost")

#: How many best sellers of a branch-day ProductDayLeader always holds: the products report's
#: default page (/orders/stats and the daily report show ten).
LEADERS = 50
#: The first key of the day locks (two-key advisory locks never meet the one-key ones the
#: idempotency keys take); the second is a hash of the branch and day.
LEADER_LOCK_CLASS = 7301
LEADER_TABLE = ProductDayLeader._meta.db_table
THRESHOLD_TABLE = ProductDayThreshold._meta.db_table
ROLLUP_TABLE = ProductSalesRollup._meta.db_table
#: One sale in this many (per process) raises its day's floor to the leaders' LEADERS-th.
RAISE_EVERY = 16
_sales = itertools.count(1)
RANK_DAY = f"""
INSERT INTO {LEADER_TABLE} (branch_id, business_date, product_id)
SELECT branch_id, business_date, product_id FROM {ROLLUP_TABLE}
 WHERE branch_id = %(branch)s AND business_date = %(day)s AND lines > 0
   AND revenue >= COALESCE((
       SELECT revenue FROM {ROLLUP_TABLE}
        WHERE branch_id = %(branch)s AND business_date = %(day)s AND lines > 0
        ORDER BY revenue DESC OFFSET %(offset)s LIMIT 1
   ), -1)
"""  # noqa: S608
FLOOR_DAY = f"""
INSERT INTO {THRESHOLD_TABLE} (branch_id, business_date, revenue)
SELECT branch_id, business_date, revenue FROM {ROLLUP_TABLE}
 WHERE branch_id = %(branch)s AND business_date = %(day)s AND lines > 0
 ORDER BY revenue DESC OFFSET %(offset)s LIMIT 1
"""  # noqa: S608
EVERY_DAY_RANKED = f"""
SELECT branch_id, business_date, product_id, revenue,
       nth_value(revenue, %(leaders)s) OVER (
           PARTITION BY branch_id, business_date ORDER BY revenue DESC
           ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
       ) AS threshold
  FROM {ROLLUP_TABLE} WHERE lines > 0
"""  # noqa: S608
TOP_OF_EVERY_DAY = f"""
SELECT branch_id, business_date, product_id FROM ({EVERY_DAY_RANKED}) AS ranked
 WHERE revenue >= COALESCE(threshold, -1)
"""  # noqa: S608
RANK_ALL = f"""
INSERT INTO {LEADER_TABLE} (branch_id, business_date, product_id)
{TOP_OF_EVERY_DAY} ORDER BY business_date, branch_id, product_id
"""  # noqa: S608
FLOOR_ALL = f"""
INSERT INTO {THRESHOLD_TABLE} (branch_id, business_date, revenue)
SELECT DISTINCT branch_id, business_date, threshold FROM ({EVERY_DAY_RANKED}) AS ranked
 WHERE threshold IS NOT NULL ORDER BY business_date, branch_id
"""  # noqa: S608
MISSING_LEADERS = f"""
SELECT count(*) FROM ({TOP_OF_EVERY_DAY}) AS top
 WHERE NOT EXISTS (
     SELECT 1 FROM {LEADER_TABLE} l WHERE l.branch_id = top.branch_id
        AND l.business_date = top.business_date AND l.product_id = top.product_id
 )
"""  # noqa: S608
FLOORS_TOO_HIGH = f"""
SELECT count(*) FROM {THRESHOLD_TABLE} f
  LEFT JOIN (SELECT DISTINCT branch_id, business_date, threshold
               FROM ({EVERY_DAY_RANKED}) AS ranked) AS day
    ON day.branch_id = f.branch_id AND day.business_date = f.business_date
 WHERE f.revenue > COALESCE(day.threshold, -1)
"""  # noqa: S608


def _add_products(order: Order, rows: dict, *, leaders: bool = False) -> None:
    """rows: {product_id: (lines, quantity, revenue, net_revenue, cost)} deltas. With
    `leaders` (a sale, on PostgreSQL) the same statement adds the sold products that reach the
    day's floor to its leaders, and one sale in RAISE_EVERY raises the floor (see the module's
    docstring)."""
    if not rows:
        return
    params = []
    for product_id in sorted(rows):  # a fixed order: concurrent upserts cannot deadlock
        params += [
            uuid_param(order.branch_id),
            order.business_date,
            uuid_param(product_id),
            *rows[product_id],
        ]
    mode = ""
    if leaders:
        mode = "raise" if next(_sales) % RAISE_EVERY == 0 else "floor"
        day = [uuid_param(order.branch_id), order.business_date]
        params += day * (2 if mode == "raise" else 1)
    with connection.cursor() as cursor:
        cursor.execute(_product_upsert(len(rows), mode, LEADERS), params)


@functools.cache
def _product_upsert(count: int, mode: str, leaders: int) -> str:
    """The rollup upsert of `count` products. mode "floor": wrapped in the CTE that adds the
    ones reaching the day's floor to its leaders; "raise": the floor is first raised to the
    `leaders`-th revenue among the leaders (if higher), and that is the bar."""
    table = connection.ops.quote_name(ROLLUP_TABLE)
    names = ", ".join(PRODUCT_COLUMNS)
    one = "(" + ", ".join(["%s"] * (3 + len(PRODUCT_COLUMNS))) + ")"
    updates = ", ".join(f"{n} = {table}.{n} + excluded.{n}" for n in PRODUCT_COLUMNS)
    upsert = (
        f"INSERT INTO {table} (branch_id, business_date, product_id, {names}) "  # noqa: S608
        f"VALUES {', '.join([one] * count)} "
        f"ON CONFLICT (branch_id, business_date, product_id) DO UPDATE SET {updates}"
    )
    if not mode:
        return upsert
    sold = f"sold AS ({upsert} RETURNING branch_id, business_date, product_id, revenue, lines)"
    join = f"""
INSERT INTO {LEADER_TABLE} (branch_id, business_date, product_id)
SELECT sold.branch_id, sold.business_date, sold.product_id FROM sold
 WHERE sold.lines > 0 AND sold.revenue >= COALESCE((SELECT revenue FROM bar), -1)
ON CONFLICT DO NOTHING"""  # noqa: S608
    if mode == "floor":
        return f"""
WITH {sold}, bar AS (
    SELECT revenue FROM {THRESHOLD_TABLE} WHERE branch_id = %s AND business_date = %s
){join}"""  # noqa: S608
    return f"""
WITH {sold}, bar AS (
    SELECT t.revenue FROM {LEADER_TABLE} l
      JOIN {ROLLUP_TABLE} t ON t.branch_id = l.branch_id
       AND t.business_date = l.business_date AND t.product_id = l.product_id
     WHERE l.branch_id = %s AND l.business_date = %s AND t.lines > 0
     ORDER BY t.revenue DESC OFFSET {int(leaders) - 1} LIMIT 1
), raised AS (
    INSERT INTO {THRESHOLD_TABLE} AS f (branch_id, business_date, revenue)
    SELECT %s, %s, revenue FROM bar
    ON CONFLICT (branch_id, business_date)
    DO UPDATE SET revenue = GREATEST(f.revenue, excluded.revenue)
){join}"""  # noqa: S608


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


def keeps_leaders() -> bool:
    """Whether the day leaders and floors are kept (PostgreSQL; the SQLite demo ranks every
    product sold)."""
    return connection.vendor == "postgresql"


def day_lock_sql(branch_id, day, *, exclusive: bool = False) -> tuple[str, list]:
    """A select-list expression and its parameters that take the branch-day's leader lock
    until commit, shared (sales) or exclusive (refunds, cancellations). A sale puts it in a
    statement it runs before its rollup rows (the order number's), saving a round trip.
    ("", []) where leaders are not kept."""
    if not keeps_leaders():
        return "", []
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    return f"{function}({LEADER_LOCK_CLASS}, hashtext(%s))", [f"{branch_id}:{day}"]


def _lock_day(order: Order, *, exclusive: bool) -> None:
    """The branch-day's leader lock, until commit (see the module's docstring)."""
    lock, params = day_lock_sql(order.branch_id, order.business_date, exclusive=exclusive)
    if lock:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {lock}", params)


def _rank_day(order: Order) -> None:
    """The day's leaders anew from the rollup, every product at or above the LEADERS-th, and
    the floor set to that revenue (none with fewer than LEADERS products)."""
    if not keeps_leaders():
        return
    day = {"branch": order.branch_id, "day": order.business_date, "offset": LEADERS - 1}
    with connection.cursor() as cursor:
        for table in (LEADER_TABLE, THRESHOLD_TABLE):
            cursor.execute(
                f"DELETE FROM {table} WHERE branch_id = %(branch)s AND business_date = %(day)s",  # noqa: S608
                day,
            )
        cursor.execute(RANK_DAY, day)
        cursor.execute(FLOOR_DAY, day)


def rank_all_days() -> int:
    """Every branch-day's leaders and floor anew from the rollup (after a rebuild or a
    backfill); returns the number of leaders."""
    if not keeps_leaders():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {LEADER_TABLE}")  # noqa: S608
        cursor.execute(f"DELETE FROM {THRESHOLD_TABLE}")  # noqa: S608
        cursor.execute(RANK_ALL, {"leaders": LEADERS})
        ranked = cursor.rowcount
        cursor.execute(FLOOR_ALL, {"leaders": LEADERS})
        return ranked


def _count(sql: str) -> int:
    if not keeps_leaders():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(sql, {"leaders": LEADERS})
        return cursor.fetchone()[0]


def missing_leaders() -> int:
    """Products among some branch-day's top LEADERS that are not its leaders (0 when kept)."""
    return _count(MISSING_LEADERS)


def floors_too_high() -> int:
    """Branch-days whose floor is above their LEADERS-th revenue (0 when kept)."""
    return _count(FLOORS_TOO_HIGH)


def record_sale(order: Order, items, payments, *, day_locked: bool = False) -> None:
    """Add a sale. `day_locked`: the caller already holds the day's leader lock shared
    (`day_lock_sql` in an earlier statement of the transaction)."""
    if not day_locked:
        _lock_day(order, exclusive=False)
    _add_products(order, _line_deltas(items, 1), leaders=keeps_leaders())
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
    _lock_day(order, exclusive=True)
    _add_products(order, _line_deltas(items, -1))
    _rank_day(order)
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
    _lock_day(order, exclusive=True)
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
    _rank_day(order)
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
    rank_all_days()
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

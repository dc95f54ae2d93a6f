"""Period figures of sales. Every report, `/orders/stats` and the back-office dashboard read here.

The revenue rule, one for all of them: an order counts on its business day (`business_date`,
fixed in POSPRO_TIME_ZONE when it was sold) for its total minus everything refunded of it,
whenever the refund was made; cancelled orders count for nothing. Amounts include VAT unless
named `net_`. So a refund made today of last week's sale lowers last week's figures (a closed
period can change), and the payment methods of a period add up to its revenue.

Every function runs a fixed number of grouped queries (`values().annotate()`), whatever the
number of orders; Python only fills the buckets (24 hours, the days of a period) and derives
averages. Order-level figures (counts, revenue, tax, discounts, items, payment methods) come
from `sales.SalesRollup`, one row per branch, business day, hour and cashier, which the sale,
refund and cancel transactions keep with the same rule (and `rebuild_sales_rollup` can
recompute from the orders). Product figures read `sales.ProductSalesRollup`, one row per
branch, business day and product, kept the same way.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    DecimalField,
    F,
    IntegerField,
    QuerySet,
    Sum,
    Value,
)

from accounts.models import Branch
from catalog.models import Product, StockLevel
from pospro.db import compiled_rows
from pospro.money import ZERO, quantize
from sales import rollup as sales_rollup
from sales.models import (
    PaymentMethod,
    ProductDayLeader,
    ProductSalesRollup,
    SalesRollup,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
#: Orders with at least one refund carry one of these statuses (set by sales.services).
RATE_PLACES = Decimal("0.0001")
PRODUCT_ORDERINGS = {
    "revenue": ("-revenue", "-quantity_sold", "product_id"),
    "quantity": ("-quantity_sold", "-revenue", "product_id"),
    "margin": ("-gross_margin", "-revenue", "product_id"),
}


# --- building blocks --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """One bucket's figures, net of refunds."""

    orders: int = 0
    revenue: Decimal = ZERO
    refunds: Decimal = ZERO
    tax: Decimal = ZERO
    discount: Decimal = ZERO
    items: int = 0

    @property
    def average_order_value(self) -> Decimal:
        return quantize(self.revenue / self.orders) if self.orders else ZERO

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(
            orders=self.orders + other.orders,
            revenue=self.revenue + other.revenue,
            refunds=self.refunds + other.refunds,
            tax=self.tax + other.tax,
            discount=self.discount + other.discount,
            items=self.items + other.items,
        )


def _figures(row: dict, *, items: bool = True) -> Figures:
    refunds = row["refunds"] or ZERO
    return Figures(
        orders=row["orders"] or 0,
        revenue=(row["gross"] or ZERO) - refunds,
        refunds=refunds,
        tax=(row["gross_tax"] or ZERO) - (row.get("refunded_tax") or ZERO),
        discount=row["discount"] or ZERO,
        items=(row.get("items") or 0) if items else 0,
    )


def total(figures) -> Figures:
    return sum(figures, Figures())


def _rollup(start: date, end: date, branch_id=None) -> QuerySet[SalesRollup]:
    rows = SalesRollup.objects.filter(business_date__gte=start, business_date__lte=end)
    if branch_id:
        rows = rows.filter(branch_id=branch_id)
    return rows


# Figures read from the rollup the sale, refund and cancel transactions keep (sales.rollup):
# a few hundred rows a month instead of every order. Its tax and items are already net of
# refunds; cancelled orders are already taken out.
ROLLUP_METRICS = {
    "orders": Sum("orders"),
    "gross": Sum("gross", output_field=MONEY),
    "refunds": Sum("refunded", output_field=MONEY),
    "gross_tax": Sum("tax", output_field=MONEY),
    "discount": Sum("discount", output_field=MONEY),
    "items": Sum("items"),
}


def sales_by(
    *, start: date, end: date, branch_id=None, by: tuple[str, ...], items: bool = False
) -> dict:
    """Figures of business days start..end grouped by `by` (one query over the rollup):
    {key: (Figures, labels)}, where key is the value of by[0]; only buckets with counted orders
    are present. Extra fields in `by` (names) are kept in `labels`."""
    rows = compiled_rows(
        ("sales_by", by),
        lambda start, end, branch_id: (
            _rollup(start, end, branch_id)
            .values(*by)
            .annotate(**ROLLUP_METRICS)
            .filter(orders__gt=0)
            .order_by(*by)
        ),
        start=start,
        end=end,
        branch_id=branch_id,
    )
    return {row[by[0]]: (_figures(row, items=items), {k: row[k] for k in by[1:]}) for row in rows}


def _totals(name: str, metrics: dict, *, start: date, end: date, branch_id) -> dict:
    """One row of sums over the rollup of the period (None where there is nothing)."""
    (row,) = compiled_rows(
        ("totals", name),
        lambda start, end, branch_id: (
            _rollup(start, end, branch_id)
            .values(_one=Value(1, output_field=IntegerField()))  # no GROUP BY: one row
            .annotate(**metrics)
            .values(*metrics)
        ),
        start=start,
        end=end,
        branch_id=branch_id,
    )
    return row


def sales_total(*, start: date, end: date, branch_id=None, items: bool = False) -> Figures:
    """Figures of the whole period (one query over the rollup)."""
    totals = _totals("figures", ROLLUP_METRICS, start=start, end=end, branch_id=branch_id)
    return _figures(totals, items=items)


PAYMENT_METRICS = {method: Sum(method, output_field=MONEY) for method in PaymentMethod.values}


def payment_methods(*, start: date, end: date, branch_id=None) -> dict[str, Decimal]:
    """What each method brought in (cash net of change) minus what was refunded to it, for the
    counted orders of the period: one query over the rollup. Sums to the revenue."""
    totals = _totals("payments", PAYMENT_METRICS, start=start, end=end, branch_id=branch_id)
    return {method: totals[method] or ZERO for method in PaymentMethod.values}


def product_sales(
    *, start: date, end: date, branch_id=None, ordering: str = "revenue", limit: int = 10
) -> list[dict]:
    """Products sold in the period, net of refunds, best first: one grouped query over the
    product rollup (sales.ProductSalesRollup, kept by the sale, refund and cancel transactions),
    then one for the names of the few products kept.

    `revenue` includes VAT; `net_revenue` excludes it (line_total - tax_amount, whatever the VAT
    mode); `cost` is the unit cost recorded on the line at sale time.
    """
    orderings = {  # the rollup's own columns keep their names; aggregates are renamed
        "revenue": "total_revenue",
        "quantity_sold": "quantity_sold",
        "gross_margin": "gross_margin",
        "product_id": "product_id",
    }
    order_by = [
        ("-" if key.startswith("-") else "") + orderings[key.lstrip("-")]
        for key in PRODUCT_ORDERINGS[ordering]
    ]

    single = _one_row_per_product(start, end, branch_id)

    def ranked(start, end, branch_id):
        rollup = ProductSalesRollup.objects.filter(business_date__gte=start, business_date__lte=end)
        if branch_id:
            rollup = rollup.filter(branch_id=branch_id)
        if single:
            return (
                rollup.filter(lines__gt=0)
                .values(
                    "product_id",
                    counted_lines=F("lines"),
                    quantity_sold=F("quantity"),
                    total_revenue=F("revenue"),
                    total_net=F("net_revenue"),
                    total_cost=F("cost"),
                    gross_margin=F("net_revenue") - F("cost"),
                )
                .order_by(*order_by)[:limit]
            )
        return (
            rollup.values("product_id")
            .annotate(
                counted_lines=Sum("lines"),
                quantity_sold=Sum("quantity"),
                total_revenue=Sum("revenue", output_field=MONEY),
                total_net=Sum("net_revenue", output_field=MONEY),
                total_cost=Sum("cost", output_field=MONEY),
            )
            .filter(counted_lines__gt=0)
            .annotate(gross_margin=F("total_net") - F("total_cost"))
            .order_by(*order_by)[:limit]
        )

    leaders = single and ordering == "revenue" and limit <= sales_rollup.LEADERS
    if leaders and sales_rollup.keeps_leaders():  # a branch-day's best few: its leaders
        rows = _best_of_day(day=start, branch_id=branch_id, limit=limit)
    else:
        shape = ("product_sales", ordering, limit, single)
        rows = compiled_rows(shape, ranked, start=start, end=end, branch_id=branch_id)
    for row in rows:
        row["revenue"], row["net_revenue"], row["cost"] = (
            row["total_revenue"],
            row["total_net"],
            row["total_cost"],
        )
    if not rows:
        return []
    names = _product_names([row["product_id"] for row in rows])
    return [
        {
            "product_id": row["product_id"],
            "name": names[row["product_id"]]["name"],
            "category": names[row["product_id"]]["category_name"],
            "quantity_sold": row["quantity_sold"],
            "revenue": row["revenue"],
            "net_revenue": row["net_revenue"],
            "cost": row["cost"],
            "gross_margin": row["gross_margin"],
            "margin_rate": rate(row["gross_margin"], row["net_revenue"]),
        }
        for row in rows
    ]


BEST_OF_DAY = f"""
SELECT r.product_id, r.lines AS counted_lines, r.quantity AS quantity_sold,
       r.revenue AS total_revenue, r.net_revenue AS total_net, r.cost AS total_cost,
       r.net_revenue - r.cost AS gross_margin
  FROM {ProductDayLeader._meta.db_table} l
  JOIN {ProductSalesRollup._meta.db_table} r ON r.branch_id = l.branch_id
   AND r.business_date = l.business_date AND r.product_id = l.product_id
 WHERE l.branch_id = %s AND l.business_date = %s AND r.lines > 0
 ORDER BY r.revenue DESC, r.quantity DESC, r.product_id
 LIMIT %s
"""  # noqa: S608 - table names from the models


def _best_of_day(*, day: date, branch_id, limit: int) -> list[dict]:
    """A branch's best sellers of one day by revenue, ranked among the day's leaders (a
    superset of its top LEADERS, kept by sales.rollup) instead of every product sold."""
    with connection.cursor() as cursor:
        cursor.execute(BEST_OF_DAY, [branch_id, day, limit])
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _one_row_per_product(start: date, end: date, branch_id) -> bool:
    """One branch's one day holds one rollup row per product: nothing to add up (the daily
    report and /orders/stats of a branch's day skip a hash aggregate of thousands of rows)."""
    return start == end and branch_id is not None


def _product_names(ids: list) -> dict:
    """{id: {name, category_name}} of these products (one query)."""
    if connection.vendor == "postgresql":  # one statement text whatever the number of ids
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT p.id, p.name, c.name FROM catalog_product p LEFT JOIN catalog_category c "
                "ON c.id = p.category_id WHERE p.id = ANY(%s::uuid[])",
                [ids],
            )
            return {pk: {"name": n, "category_name": c} for pk, n, c in cursor.fetchall()}
    return {
        product["id"]: product
        for product in Product.objects.filter(pk__in=ids).values(
            "id", "name", category_name=F("category__name")
        )
    }


def top_products(*, start: date, end: date, branch_id=None, limit: int = 10) -> list[dict]:
    """Best sellers by revenue net of refunds, in the shape of `/orders/stats`."""
    return [
        {k: row[k] for k in ("product_id", "name", "quantity_sold", "revenue")}
        for row in product_sales(start=start, end=end, branch_id=branch_id, limit=limit)
    ]


def low_stock(*, branch_id=None, limit: int = 15) -> list[dict]:
    """Active products at or below their critical level, most short first (one query)."""
    levels = StockLevel.objects.filter(
        product__is_active=True, quantity__lte=F("product__critical_stock_level")
    )
    if branch_id:
        levels = levels.filter(branch_id=branch_id)
    return list(
        levels.annotate(shortage=F("product__critical_stock_level") - F("quantity"))
        .values(
            "product_id",
            "branch_id",
            "quantity",
            "shortage",
            name=F("product__name"),
            branch_code=F("branch__code"),
            critical_level=F("product__critical_stock_level"),
        )
        .order_by("-shortage", "name", "branch_code")[:limit]
    )


# --- arithmetic -------------------------------------------------------------------------------


def rate(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    """part / whole as a fraction with 4 decimals; None when whole is 0."""
    if not whole:
        return None
    return (Decimal(part or 0) / whole).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


def growth_rate(current: Decimal, previous: Decimal) -> str | None:
    """Change against the previous period as "+12.5%" / "-3.0%"; None without previous revenue."""
    if previous <= 0:
        return None
    change = ((current - previous) * 100 / previous).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )
    return f"{abs(change) if change == 0 else change:+.1f}%"


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


# --- reports ----------------------------------------------------------------------------------


def order_stats(*, start: date, end: date, branch_id=None, top: int = 10) -> dict:
    """`GET /orders/stats`: four queries (totals, payment methods, top products, their names)."""
    figures = sales_total(start=start, end=end, branch_id=branch_id)
    return {
        "total_orders": figures.orders,
        "total_revenue": figures.revenue,
        "average_order_value": figures.average_order_value,
        "payment_methods": payment_methods(start=start, end=end, branch_id=branch_id),
        "top_products": top_products(start=start, end=end, branch_id=branch_id, limit=top),
    }


def daily_report(*, day: date, branch_id=None, top: int = 10) -> dict:
    """One business day: four queries (by hour, payment methods, top products, their names)."""
    hours = sales_by(start=day, end=day, branch_id=branch_id, by=("business_hour",), items=True)
    figures = total(f for f, _ in hours.values())
    empty = Figures()
    return {
        "date": day,
        "total_revenue": figures.revenue,
        "total_orders": figures.orders,
        "average_order_value": figures.average_order_value,
        "total_tax": figures.tax,
        "total_discount": figures.discount,
        "items_sold": figures.items,
        "payment_methods": payment_methods(start=day, end=day, branch_id=branch_id),
        "hourly_sales": [
            {
                "hour": hour,
                "revenue": hours.get(hour, (empty,))[0].revenue,
                "orders": hours.get(hour, (empty,))[0].orders,
            }
            for hour in range(24)
        ],
        "top_products": top_products(start=day, end=day, branch_id=branch_id, limit=top),
    }


def daily_series(*, start: date, end: date, branch_id=None) -> list[dict]:
    """Revenue and orders for every day start..end, zeros included (one query)."""
    by_day = sales_by(start=start, end=end, branch_id=branch_id, by=("business_date",))
    empty = Figures()
    return [
        {
            "date": day,
            "revenue": by_day.get(day, (empty,))[0].revenue,
            "orders": by_day.get(day, (empty,))[0].orders,
        }
        for day in days(start, end)
    ]


def weekly_report(*, end: date, branch_id=None) -> dict:
    """The 7 business days ending `end`, against the 7 before: one query over 14 days."""
    start = end - timedelta(days=6)
    series = daily_series(start=start - timedelta(days=7), end=end, branch_id=branch_id)
    previous, current = series[:7], series[7:]
    revenue = sum((d["revenue"] for d in current), ZERO)
    return {
        "period": {"start_date": start, "end_date": end},
        "daily_sales": current,
        "total_revenue": revenue,
        "total_orders": sum(d["orders"] for d in current),
        "average_daily": quantize(revenue / 7),
        "growth_rate": growth_rate(revenue, sum((d["revenue"] for d in previous), ZERO)),
    }


def monthly_report(*, month: date, today: date, branch_id=None) -> dict:
    """Every day of `month` (its first day), against the previous month: one query.

    While the month runs, the growth rate compares like with like: its days up to `today`
    against the same days of the previous month (clamped to its length); a closed month is
    compared whole with the whole previous one.
    """
    first, last = month.replace(day=1), month_end(month)
    before = previous_month(first)
    series = daily_series(start=before, end=last, branch_id=branch_id)
    split = (first - before).days
    previous, current = series[:split], series[split:]
    if first <= today <= last:
        compared_current = current[: today.day]
        compared_previous = previous[: today.day]
    else:
        compared_current, compared_previous = current, previous
    orders = sum(d["orders"] for d in current)
    revenue = sum((d["revenue"] for d in current), ZERO)
    return {
        "month": f"{first:%Y-%m}",
        "daily_sales": current,
        "total_revenue": revenue,
        "total_orders": orders,
        "average_order_value": quantize(revenue / orders) if orders else ZERO,
        "growth_rate": growth_rate(
            sum((d["revenue"] for d in compared_current), ZERO),
            sum((d["revenue"] for d in compared_previous), ZERO),
        ),
    }


def cashier_report(*, start: date, end: date, branch_id=None) -> dict:
    """Per cashier (who rang the sale up): one query, best revenue first."""
    rows = sales_by(
        start=start, end=end, branch_id=branch_id, by=("cashier_id", "cashier__name"), items=True
    )
    items = [
        {
            "cashier_id": cashier_id,
            "name": labels["cashier__name"],
            "orders": figures.orders,
            "revenue": figures.revenue,
            "average_order_value": figures.average_order_value,
            "items_sold": figures.items,
            "refunds": figures.refunds,
        }
        for cashier_id, (figures, labels) in rows.items()
    ]
    items.sort(key=lambda row: (-row["revenue"], row["name"], str(row["cashier_id"])))
    return {"period": {"start_date": start, "end_date": end}, "items": items}


def branch_report(*, start: date, end: date) -> dict:
    """Every active branch (and any inactive one with sales): two queries, by code."""
    rows = sales_by(start=start, end=end, by=("branch_id",))
    overall = total(f for f, _ in rows.values())
    empty = Figures()
    items = []
    for branch in Branch.objects.order_by("code").values("id", "code", "name", "is_active"):
        figures = rows.get(branch["id"], (empty,))[0]
        if not branch["is_active"] and branch["id"] not in rows:
            continue
        items.append(
            {
                "branch_id": branch["id"],
                "code": branch["code"],
                "name": branch["name"],
                "orders": figures.orders,
                "revenue": figures.revenue,
                "average_order_value": figures.average_order_value,
                "share_of_revenue": rate(figures.revenue, overall.revenue) or Decimal("0.0000"),
            }
        )
    return {"period": {"start_date": start, "end_date": end}, "items": items}


def product_report(
    *, start: date, end: date, branch_id=None, ordering: str = "revenue", limit: int = 50
) -> dict:
    return {
        "period": {"start_date": start, "end_date": end},
        "items": product_sales(
            start=start, end=end, branch_id=branch_id, ordering=ordering, limit=limit
        ),
    }

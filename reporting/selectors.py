"""Period figures of sales. Every report, `/orders/stats` and the back-office dashboard read here.

The revenue rule, one for all of them: an order counts on its business day (`business_date`,
fixed in POSPRO_TIME_ZONE when it was sold) for its total minus everything refunded of it,
whenever the refund was made; cancelled orders count for nothing. Amounts include VAT unless
named `net_`. So a refund made today of last week's sale lowers last week's figures (a closed
period can change), and the payment methods of a period add up to its revenue.

Each part of a report is one aggregate query over the rollups the sale, refund and cancel
transactions keep with that rule (`sales.SalesRollup`: branch, business day, hour and cashier;
`sales.ProductSalesRollup`: branch, business day and product), whatever the number of orders.
Python only fills the buckets (24 hours, the days of a period) and derives averages.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Coalesce

from accounts.models import Branch
from catalog.models import Product
from pospro.money import ZERO, quantize
from sales.models import (
    CashSession,
    CashSessionStatus,
    PaymentMethod,
    ProductSalesRollup,
    SalesRollup,
)

RATE_PLACES = Decimal("0.0001")
PRODUCT_ORDERINGS = {
    "revenue": ("-total_revenue", "-quantity_sold", "product_id"),
    "quantity": ("-quantity_sold", "-total_revenue", "product_id"),
    "margin": ("-gross_margin", "-total_revenue", "product_id"),
}
# The rollup's tax and items are already net of refunds; cancelled orders are already out.
SALES_METRICS = {
    "orders": Coalesce(Sum("orders"), 0),
    "gross": Coalesce(Sum("gross"), ZERO),
    "refunds": Coalesce(Sum("refunded"), ZERO),
    "net_tax": Coalesce(Sum("tax"), ZERO),
    "discounts": Coalesce(Sum("discount"), ZERO),
    "units": Coalesce(Sum("items"), 0),
}
PAYMENT_METRICS = {method: Coalesce(Sum(method), ZERO) for method in PaymentMethod.values}


@dataclass(frozen=True)
class Figures:
    """One bucket's figures, net of refunds."""

    orders: int = 0
    revenue: Decimal = ZERO
    refunds: Decimal = ZERO
    tax: Decimal = ZERO
    discount: Decimal = ZERO
    items: int = 0

    @classmethod
    def of(cls, row: dict) -> "Figures":
        return cls(
            orders=row["orders"],
            revenue=row["gross"] - row["refunds"],
            refunds=row["refunds"],
            tax=row["net_tax"],
            discount=row["discounts"],
            items=row["units"],
        )

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


def total(figures) -> Figures:
    return sum(figures, Figures())


def _period(model, *, start: date, end: date, branch_id) -> QuerySet:
    rows = model.objects.filter(business_date__range=(start, end))
    return rows.filter(branch_id=branch_id) if branch_id else rows


def sales_by(*, start: date, end: date, branch_id=None, by: str) -> dict:
    """{value of `by`: Figures} of business days start..end, one grouped query; only buckets
    with counted orders are present."""
    rows = (
        _period(SalesRollup, start=start, end=end, branch_id=branch_id)
        .values(by)
        .annotate(**SALES_METRICS)
        .filter(orders__gt=0)
        .order_by(by)
    )
    return {row[by]: Figures.of(row) for row in rows}


def sales_total(*, start: date, end: date, branch_id=None) -> Figures:
    rows = _period(SalesRollup, start=start, end=end, branch_id=branch_id)
    return Figures.of(rows.aggregate(**SALES_METRICS))


def payment_methods(*, start: date, end: date, branch_id=None) -> dict[str, Decimal]:
    """What each method brought in (cash net of change) minus what was refunded to it, for the
    counted orders of the period. Sums to the revenue."""
    rows = _period(SalesRollup, start=start, end=end, branch_id=branch_id)
    return rows.aggregate(**PAYMENT_METRICS)


def product_sales(
    *, start: date, end: date, branch_id=None, ordering: str = "revenue", limit: int = 10
) -> list[dict]:
    """Products sold in the period, net of refunds, best first: one grouped query over the
    product rollup, then one for the names of the products kept.

    `revenue` includes VAT; `net_revenue` excludes it; `cost` is the unit cost recorded on the
    line at sale time.
    """
    rows = list(
        _period(ProductSalesRollup, start=start, end=end, branch_id=branch_id)
        .values("product_id")
        .annotate(
            counted_lines=Sum("lines"),
            quantity_sold=Sum("quantity"),
            total_revenue=Sum("revenue"),
            total_net=Sum("net_revenue"),
            total_cost=Sum("cost"),
            gross_margin=F("total_net") - F("total_cost"),
        )
        .filter(counted_lines__gt=0)
        .order_by(*PRODUCT_ORDERINGS[ordering])[:limit]
    )
    if not rows:
        return []
    names = {
        product["id"]: product
        for product in Product.objects.filter(pk__in=[row["product_id"] for row in rows]).values(
            "id", "name", category_name=F("category__name")
        )
    }
    return [
        {
            "product_id": row["product_id"],
            "name": names[row["product_id"]]["name"],
            "category": names[row["product_id"]]["category_name"],
            "quantity_sold": row["quantity_sold"],
            "revenue": row["total_revenue"],
            "net_revenue": row["total_net"],
            "cost": row["total_cost"],
            "gross_margin": row["gross_margin"],
            "margin_rate": rate(row["gross_margin"], row["total_net"]),
        }
        for row in rows
    ]


def top_products(*, start: date, end: date, branch_id=None, limit: int = 10) -> list[dict]:
    """Best sellers by revenue net of refunds, in the shape of `/orders/stats`."""
    return [
        {k: row[k] for k in ("product_id", "name", "quantity_sold", "revenue")}
        for row in product_sales(start=start, end=end, branch_id=branch_id, limit=limit)
    ]


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
    hours = sales_by(start=day, end=day, branch_id=branch_id, by="business_hour")
    figures = total(hours.values())
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
                "revenue": hours.get(hour, Figures()).revenue,
                "orders": hours.get(hour, Figures()).orders,
            }
            for hour in range(24)
        ],
        "top_products": top_products(start=day, end=day, branch_id=branch_id, limit=top),
    }


def daily_series(*, start: date, end: date, branch_id=None) -> list[dict]:
    """Revenue and orders for every day start..end, zeros included (one query)."""
    by_day = sales_by(start=start, end=end, branch_id=branch_id, by="business_date")
    return [
        {
            "date": day,
            "revenue": by_day.get(day, Figures()).revenue,
            "orders": by_day.get(day, Figures()).orders,
        }
        for day in days(start, end)
    ]


def _revenue(series: list[dict]) -> Decimal:
    return sum((day["revenue"] for day in series), ZERO)


def weekly_report(*, end: date, branch_id=None) -> dict:
    """The 7 business days ending `end`, against the 7 before: one query over 14 days."""
    start = end - timedelta(days=6)
    series = daily_series(start=start - timedelta(days=7), end=end, branch_id=branch_id)
    previous, current = series[:7], series[7:]
    revenue = _revenue(current)
    return {
        "period": {"start_date": start, "end_date": end},
        "daily_sales": current,
        "total_revenue": revenue,
        "total_orders": sum(d["orders"] for d in current),
        "average_daily": quantize(revenue / 7),
        "growth_rate": growth_rate(revenue, _revenue(previous)),
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
    previous, current = series[: (first - before).days], series[(first - before).days :]
    compared = today.day if first <= today <= last else None
    orders = sum(d["orders"] for d in current)
    revenue = _revenue(current)
    return {
        "month": f"{first:%Y-%m}",
        "daily_sales": current,
        "total_revenue": revenue,
        "total_orders": orders,
        "average_order_value": quantize(revenue / orders) if orders else ZERO,
        "growth_rate": growth_rate(_revenue(current[:compared]), _revenue(previous[:compared])),
    }


def cashier_report(*, start: date, end: date, branch_id=None) -> dict:
    """Per cashier (who rang the sale up): one query, best revenue first."""
    rows = (
        _period(SalesRollup, start=start, end=end, branch_id=branch_id)
        .values("cashier_id", "cashier__name")
        .annotate(**SALES_METRICS)
        .filter(orders__gt=0)
    )
    items = []
    for row in rows:
        figures = Figures.of(row)
        items.append(
            {
                "cashier_id": row["cashier_id"],
                "name": row["cashier__name"],
                "orders": figures.orders,
                "revenue": figures.revenue,
                "average_order_value": figures.average_order_value,
                "items_sold": figures.items,
                "refunds": figures.refunds,
            }
        )
    items.sort(key=lambda row: (-row["revenue"], row["name"], str(row["cashier_id"])))
    return {"period": {"start_date": start, "end_date": end}, "items": items}


def branch_report(*, start: date, end: date) -> dict:
    """Every active branch (and any inactive one with sales): two queries, by code."""
    by_branch = sales_by(start=start, end=end, by="branch_id")
    overall = total(by_branch.values())
    items = []
    for branch in Branch.objects.order_by("code"):
        if not branch.is_active and branch.pk not in by_branch:
            continue
        figures = by_branch.get(branch.pk, Figures())
        items.append(
            {
                "branch_id": branch.pk,
                "code": branch.code,
                "name": branch.name,
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


# --- cash -------------------------------------------------------------------------------------

CASH_METRICS = {
    "sessions": Count("pk"),
    "expected_cash": Coalesce(Sum("expected_cash"), ZERO),
    "counted_cash": Coalesce(Sum("counted_cash"), ZERO),
    "over_short": Coalesce(Sum("over_short"), ZERO),
}
CASH_TOTALS = ("sessions", "expected_cash", "counted_cash", "over_short")


def closed_sessions(*, start: date, end: date, branch_id=None) -> QuerySet:
    """Closed cash sessions whose business day (of the opening) is in start..end. The figures
    are the ones the close stored (sales.cash.cash_session_close), never recomputed here."""
    return _period(CashSession, start=start, end=end, branch_id=branch_id).filter(
        status=CashSessionStatus.CLOSED
    )


def cash_by_cashier(*, start: date, end: date, branch_id=None) -> list[dict]:
    """Over/short per cashier (who opened the session) over the period: one grouped query,
    the largest shortfall first."""
    return list(
        closed_sessions(start=start, end=end, branch_id=branch_id)
        .values("opened_by_id", "opened_by__name", "opened_by__email")
        .annotate(**CASH_METRICS)
        .order_by("over_short", "opened_by__name", "opened_by_id")
    )


def cash_report(*, start: date, end: date, branch_id=None) -> dict:
    """`GET /reports/cash`: per register and cashier (the session's opener), the closed
    sessions of the period with their expected and counted cash and over/short; one grouped
    query, by branch, register and cashier. Totals add the rows up."""
    rows = (
        closed_sessions(start=start, end=end, branch_id=branch_id)
        .values(
            "register_id", "register__code", "branch_id", "branch__code", "opened_by_id",
            "opened_by__name", "opened_by__email",
        )
        .annotate(**CASH_METRICS)
        .order_by("branch__code", "register__code", "opened_by__name", "opened_by_id")
    )  # fmt: skip
    items = [
        {
            "register_id": row["register_id"],
            "register_code": row["register__code"],
            "branch_id": row["branch_id"],
            "branch_code": row["branch__code"],
            "cashier_id": row["opened_by_id"],
            "cashier": row["opened_by__name"] or row["opened_by__email"],
            "cashier_email": row["opened_by__email"],
            **{name: row[name] for name in CASH_TOTALS},
        }
        for row in rows
    ]
    totals = {name: sum((row[name] for row in items), 0 if name == "sessions" else ZERO)
              for name in CASH_TOTALS}  # fmt: skip
    return {"period": {"start_date": start, "end_date": end}, "items": items, "totals": totals}

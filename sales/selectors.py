"""Reads of orders and customers beyond a plain filter: list querysets and aggregates.

Period figures (`/orders/stats`, reports, the dashboard) live in reporting.selectors, with the
one revenue rule: an order counts on its business day for its total minus what was refunded of
it; cancelled orders count for nothing. `total_spent` below follows the same rule.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import (
    CharField,
    Count,
    DecimalField,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Cast, Coalesce

from accounts.scoping import for_user
from pospro.clock import business_today, day_bounds, local, resolve_period
from pospro.money import ZERO
from sales.models import (
    CashSession,
    CashSessionStatus,
    Customer,
    CustomerPayment,
    Order,
    OrderItem,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
    RefundItem,
    Register,
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


# --- Customer accounts ------------------------------------------------------------------------

#: The statement's default period: the last 30 business days, today included.
STATEMENT_DEFAULT_DAYS = 30


@dataclass(frozen=True)
class StatementEntry:
    date: date
    type: str
    reference: str
    debit: Decimal
    credit: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    customer_id: object
    start_date: date
    end_date: date
    opening_balance: Decimal
    closing_balance: Decimal
    entries: list[StatementEntry]


def statement_period(start: date | None, end: date | None) -> tuple[date, date]:
    """Both missing: the last 30 days; otherwise as every report's period (resolve_period)."""
    if start is None and end is None:
        today = business_today()
        return today - timedelta(days=STATEMENT_DEFAULT_DAYS - 1), today
    return resolve_period(start, end)


def _account_movements(customer_id):
    """Every change of the customer's balance as (at, type, reference, debit, credit) rows, one
    SQL UNION: the credit part of each sale (debit), credit refunds, cancellations of credit
    sales and account payments (credit). Exactly what sales.services adds to and takes from
    `balance`, so the running sum of these rows is the balance."""
    money = DecimalField(max_digits=14, decimal_places=2)
    text = CharField()
    credit_paid = Sum("payments__applied_amount", filter=Q(payments__method=PaymentMethod.CREDIT))
    credit_orders = (
        Order.objects.filter(customer_id=customer_id, payments__method=PaymentMethod.CREDIT)
        .order_by()
        .values("pk")
    )
    sales = credit_orders.annotate(
        e_at=F("created_at"),
        e_type=Value("sale", output_field=text),
        e_ref=Coalesce("order_number", Cast("pk", text)),
        e_debit=Coalesce(credit_paid, ZERO, output_field=money),
        e_credit=Value(ZERO, output_field=money),
    ).values("e_at", "e_type", "e_ref", "e_debit", "e_credit")
    cancels = (
        credit_orders.filter(status=OrderStatus.CANCELLED)
        .annotate(
            e_at=F("cancelled_at"),
            e_type=Value("cancel", output_field=text),
            e_ref=Coalesce("order_number", Cast("pk", text)),
            e_debit=Value(ZERO, output_field=money),
            e_credit=Coalesce(credit_paid, ZERO, output_field=money),
        )
        .values("e_at", "e_type", "e_ref", "e_debit", "e_credit")
    )
    refunds = (
        Refund.objects.filter(order__customer_id=customer_id, method=PaymentMethod.CREDIT)
        .order_by()
        .annotate(
            e_at=F("created_at"),
            e_type=Value("refund", output_field=text),
            e_ref=Coalesce("order__order_number", Cast("order_id", text)),
            e_debit=Value(ZERO, output_field=money),
            e_credit=F("amount"),
        )
        .values("e_at", "e_type", "e_ref", "e_debit", "e_credit")
    )
    payments = (
        CustomerPayment.objects.filter(customer_id=customer_id)
        .order_by()
        .annotate(
            e_at=F("created_at"),
            e_type=Value("payment", output_field=text),
            e_ref=Cast("pk", text),
            e_debit=Value(ZERO, output_field=money),
            e_credit=F("amount"),
        )
        .values("e_at", "e_type", "e_ref", "e_debit", "e_credit")
    )
    return sales, cancels, refunds, payments


def _sum(queryset, field: str):
    total = queryset.order_by().annotate(one=Value(1)).values("one").annotate(t=Sum(field))
    return Coalesce(Subquery(total.values("t")), ZERO, output_field=MONEY)


def customer_statement(*, customer: Customer, start: date, end: date) -> Statement:
    """The account statement of business days start..end, oldest first, in two queries: the
    opening balance (the sum of every movement before start) and the period's movements."""
    since, until = day_bounds(start, end)
    credit_tenders = Payment.objects.filter(
        order__customer_id=OuterRef("pk"), method=PaymentMethod.CREDIT
    )
    # One query: each kind of movement before the period, summed side by side.
    row = (
        Customer.objects.filter(pk=customer.pk)
        .values(
            sales=_sum(credit_tenders.filter(order__created_at__lt=since), "applied_amount"),
            cancels=_sum(
                credit_tenders.filter(
                    order__status=OrderStatus.CANCELLED, order__cancelled_at__lt=since
                ),
                "applied_amount",
            ),
            refunds=_sum(
                Refund.objects.filter(
                    order__customer_id=OuterRef("pk"),
                    method=PaymentMethod.CREDIT,
                    created_at__lt=since,
                ),
                "amount",
            ),
            payments=_sum(
                CustomerPayment.objects.filter(customer_id=OuterRef("pk"), created_at__lt=since),
                "amount",
            ),
        )
        .get()
    )
    opening = row["sales"] - row["cancels"] - row["refunds"] - row["payments"]

    parts = _account_movements(customer.pk)
    within = [part.filter(e_at__gte=since, e_at__lt=until) for part in parts]
    rows = within[0].union(*within[1:], all=True).order_by("e_at", "e_type", "e_ref")
    entries, balance = [], opening
    for item in rows:
        balance += item["e_debit"] - item["e_credit"]
        entries.append(
            StatementEntry(
                date=local(item["e_at"]).date(),
                type=item["e_type"],
                reference=item["e_ref"],
                debit=item["e_debit"],
                credit=item["e_credit"],
                balance=balance,
            )
        )
    return Statement(customer.pk, start, end, opening, balance, entries)


# --- Registers and cash sessions --------------------------------------------------------------


def register_queryset(user):
    """Registers the user may read, each with its open session's id (one query, no N+1)."""
    open_session = CashSession.objects.filter(
        register_id=OuterRef("pk"), status=CashSessionStatus.OPEN
    ).values("pk")[:1]
    return for_user(Register.objects.all(), user).annotate(open_session_id=Subquery(open_session))


def cash_session_queryset(user, *, register_id=None, status=None, start=None, end=None):
    """Cash sessions the user may read, newest first, filtered on the business day of the
    opening (business-local), the register and the status."""
    queryset = for_user(CashSession.objects.all(), user)
    if register_id is not None:
        queryset = queryset.filter(register_id=register_id)
    if status:
        queryset = queryset.filter(status=status)
    if start is not None:
        queryset = queryset.filter(business_date__gte=start)
    if end is not None:
        queryset = queryset.filter(business_date__lte=end)
    return queryset.order_by("-opened_at", "id")

"""manage.py seed_demo: a realistic shop that obeys the API's rules, idempotent, resettable."""

import time
from collections import Counter, defaultdict
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum

from accounts.models import Branch, User
from backoffice import demo
from catalog.models import Product, StockLevel, StockMovement
from pospro.clock import business_today
from sales.models import (
    CashSession,
    Customer,
    Order,
    OrderItem,
    OrderSequence,
    Payment,
    Refund,
    RefundItem,
)
from sales.pricing import refund_line
from sales.services import format_order_number, refund_method_for

pytestmark = pytest.mark.django_db

SMALL = {"days": 6, "products": 40, "orders_per_day": 30, "verbosity": 0}


@pytest.fixture
def seeded():
    call_command("seed_demo", **SMALL)


def test_the_default_run_is_quick_and_prints_the_logins():
    out = StringIO()
    started = time.monotonic()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    elapsed = time.monotonic() - started
    assert "Invariants hold" in out.getvalue()
    assert "manager@pospro.local" in out.getvalue()
    assert 2000 < Order.objects.count() < 3000  # 80 a day over 30 days, today partly
    # ~360 drawer closes through cash_session_close (each reads its X report first) took the
    # default run from ~9 s to ~22 s; the guard catches a run that grows again.
    assert elapsed < 35, f"seed_demo took {elapsed:.1f} s"


def test_stock_equals_the_sum_of_its_movements(seeded):
    assert demo.check_invariants() == []
    ledger = {
        (row["product"], row["branch"]): row["total"]
        for row in StockMovement.objects.values("product", "branch").annotate(total=Sum("quantity"))
    }
    levels = {(s.product_id, s.branch_id): s.quantity for s in StockLevel.objects.all()}
    assert levels == ledger
    assert min(levels.values()) >= 0
    reasons = set(StockMovement.objects.values_list("reason", flat=True))
    assert {"initial", "sale"} <= reasons <= {"initial", "stock_purchase", "sale", "return",
                                              "cancellation"}  # fmt: skip
    assert StockMovement.objects.filter(reason="sale").count() == OrderItem.objects.count()
    assert not StockMovement.objects.filter(balance_after__lt=0).exists()


def test_orders_are_numbered_by_the_api_rule_gap_free_per_day(seeded):
    per_day = defaultdict(list)
    for day, number in Order.objects.order_by("created_at").values_list(
        "business_date", "order_number"
    ):
        per_day[day].append(number)
    for day, numbers in per_day.items():
        assert numbers == [format_order_number(day, n) for n in range(1, len(numbers) + 1)]
    sequences = dict(OrderSequence.objects.values_list("day", "last"))
    assert sequences == {day: len(numbers) for day, numbers in per_day.items()}


def test_money_reconciles_and_refunds_follow_the_api_rules(db):
    call_command("seed_demo", days=20, products=30, orders_per_day=60, customers=10, verbosity=0)
    assert demo.check_invariants() == []
    # Every closed drawer's Z equals its records recomputed, and Z numbers have no gap.
    out = StringIO()
    call_command("check_cash_sessions", stdout=out)
    assert "closed session(s) match their records" in out.getvalue()
    assert CashSession.objects.filter(status="closed").count() > 20
    assert CashSession.objects.filter(over_short__lt=0).exists()
    assert Order.objects.filter(cash_session__isnull=False).count() == Order.objects.count()
    for order in Order.objects.prefetch_related("items", "payments")[:300]:
        assert order.total_amount == sum(i.line_total for i in order.items.all())
        assert order.total_amount == sum(p.applied_amount for p in order.payments.all())
        assert order.paid_amount - order.change_due == order.total_amount
    refund_items = RefundItem.objects.select_related("refund__order", "order_item")
    assert refund_items.count() == Refund.objects.count() > 0
    for row in refund_items:
        line = row.order_item
        assert (row.amount, row.tax_amount) == refund_line(
            total=line.line_total, tax=line.tax_amount, sold=line.quantity, quantity=row.quantity
        )
        methods = row.refund.order.payments.values_list("method", flat=True)
        assert row.refund.method == refund_method_for(list(methods))
        assert (row.refund.amount, row.refund.tax_amount) == (row.amount, row.tax_amount)
    assert Order.objects.filter(status="cancelled").exists()
    assert Customer.objects.filter(balance__gt=0).exists()


def test_the_shop_looks_real(seeded):
    assert Branch.objects.count() == 4
    assert User.objects.filter(role="cashier").count() == 12
    assert Product.objects.filter(sku__startswith="DEMO-").count() == 40
    assert all(len(b) == 13 for b in Product.objects.values_list("barcode", flat=True))
    assert Customer.objects.count() == 20
    assert Order.objects.count() > 100
    assert set(Order.objects.values_list("business_hour", flat=True)) <= set(range(8, 23))
    per_branch = dict(Order.objects.values_list("branch__code").annotate(n=Count("id")))
    assert per_branch["IST-01"] > per_branch["ANT-01"]
    assert {"card", "cash"} <= set(Payment.objects.values_list("method", flat=True))


def test_a_second_run_keeps_the_data_and_reset_seeds_the_same_again(seeded):
    orders = Counter(Order.objects.values_list("business_date", flat=True))
    out = StringIO()
    call_command("seed_demo", verbosity=0, stdout=out)
    assert "already there" in out.getvalue()
    assert Counter(Order.objects.values_list("business_date", flat=True)) == orders
    call_command("seed_demo", "--reset", **SMALL)
    assert Counter(Order.objects.values_list("business_date", flat=True)) == orders
    assert Product.objects.count() == 40
    assert demo.check_invariants() == []


def test_lines_sets_the_size(db):
    call_command("seed_demo", days=4, products=30, lines=2000, verbosity=0)
    assert 1900 <= OrderItem.objects.count() <= 2100
    assert demo.check_invariants() == []


def test_the_invariant_check_notices_a_broken_ledger(seeded):
    level = StockLevel.objects.order_by("id").first()
    StockLevel.objects.filter(pk=level.pk).update(quantity=level.quantity + 1)
    order = Order.objects.order_by("id").first()
    Order.objects.filter(pk=order.pk).update(total_amount=order.total_amount + 1)
    OrderSequence.objects.filter(day=order.business_date).update(last=0)
    problems = demo.check_invariants()
    assert "1 stock levels differ from the sum of their movements" in problems
    assert "1 orders whose total differs from their lines" in problems
    assert "1 orders whose applied payments differ from the total" in problems
    assert "1 days whose order sequence is behind their orders" in problems


def test_a_day_sequence_already_started_continues(db):
    yesterday = business_today() - timedelta(days=1)
    OrderSequence.objects.create(day=yesterday, last=7)
    call_command("seed_demo", **SMALL)
    first = Order.objects.filter(business_date=yesterday).order_by("created_at").first()
    assert first.order_number == format_order_number(yesterday, 8)
    top = Order.objects.filter(business_date=yesterday).count() + 7
    assert OrderSequence.objects.get(day=yesterday).last == top


def test_the_seed_leaves_the_clusters_shared_catalogs_unlocked(seeded):
    """Its statistics are refreshed per table: a database-wide ANALYZE inside the seed's
    transaction (the test's, here) would hold the shared catalogs until commit, and every
    other database's ANALYZE would wait for it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND c.relisshared"
        )
        assert cursor.fetchall() == []
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.pid = pg_backend_pid() AND c.relname = 'sales_order' "
            "AND l.mode = 'ShareUpdateExclusiveLock'"
        )
        assert cursor.fetchone() == (1,)  # the seed's own tables were analyzed


def test_seeding_only_today_before_the_shop_opens_makes_no_sales():
    """At 06:00 local nothing of today has traded yet: the seed writes no sales, not a crash."""
    from freezegun import freeze_time

    with freeze_time("2026-03-05 03:00:00+00:00"):  # 06:00 in Europe/Istanbul
        call_command("seed_demo", days=1, products=5, verbosity=0)
    assert Order.objects.count() == 0
    assert Branch.objects.count() == 4

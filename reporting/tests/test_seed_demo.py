"""manage.py seed_demo: realistic data that keeps every invariant, idempotent, resettable."""

import os
import re
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Count, F, Sum

from accounts.models import Branch, User
from catalog.models import Product, ProductCount, StockLevel, StockMovement
from reporting import seeding
from sales.models import (
    Customer,
    Order,
    OrderItem,
    OrderSequence,
    Payment,
    ProductDayLeader,
    ProductDayThreshold,
    Refund,
)
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db

SMALL = {"days": 6, "products": 40, "orders_per_day": 30, "verbosity": 0}


@pytest.fixture
def seeded():
    call_command("seed_demo", **SMALL)


def test_seed_keeps_the_stock_ledger_and_the_money_straight(seeded):
    assert seeding.check_invariants() == []
    # The same, spelled out: stock == sum of movements for every (product, branch), >= 0.
    ledger = {
        (row["product"], row["branch"]): row["total"]
        for row in StockMovement.objects.values("product", "branch").annotate(total=Sum("quantity"))
    }
    levels = {(s.product_id, s.branch_id): s.quantity for s in StockLevel.objects.all()}
    assert levels == ledger
    assert min(levels.values()) >= 0
    reasons = set(StockMovement.objects.values_list("reason", flat=True))
    assert (
        {"initial", "sale"}
        <= reasons
        <= {"initial", "stock_purchase", "sale", "return", "cancellation"}
    )
    lines = OrderItem.objects.count()
    assert StockMovement.objects.filter(reason="sale").count() == lines
    for order in Order.objects.prefetch_related("items", "payments")[:200]:
        assert order.total_amount == sum(i.line_total for i in order.items.all())
        assert order.total_amount == sum(p.applied_amount for p in order.payments.all())
        assert order.paid_amount - order.change_due == order.total_amount


def test_seed_numbers_orders_per_business_day(seeded):
    numbers = list(Order.objects.values_list("business_date", "order_number"))
    per_day = Counter(day for day, _ in numbers)
    for day, number in numbers:
        assert re.fullmatch(rf"ORD-{day:%Y%m%d}-\d{{3,}}", number)
    sequences = dict(OrderSequence.objects.values_list("day", "last"))
    assert sequences == dict(per_day)
    # Numbers follow time within a day.
    for day in per_day:
        ordered = Order.objects.filter(business_date=day).order_by("created_at", "order_number")
        got = [int(n.rsplit("-", 1)[1]) for n in ordered.values_list("order_number", flat=True)]
        assert got == sorted(got)


def test_seed_makes_a_realistic_shop(seeded):
    assert Branch.objects.count() == 4
    assert User.objects.filter(role="cashier").count() == 12
    assert Product.objects.filter(sku__startswith="DEMO-").count() == 40
    assert all(len(b) == 13 for b in Product.objects.values_list("barcode", flat=True))
    assert Customer.objects.count() == 20
    assert Order.objects.count() > 100
    statuses = set(Order.objects.values_list("status", flat=True))
    assert "completed" in statuses
    hours = set(Order.objects.values_list("business_hour", flat=True))
    assert hours <= set(range(8, 23))
    per_branch = dict(Order.objects.values_list("branch__code").annotate(n=Count("id")))
    assert per_branch["IST-01"] > per_branch["ANT-01"]
    assert Payment.objects.filter(method="card").exists()
    assert Payment.objects.filter(method="cash").exists()


def test_seed_is_idempotent_and_reset_seeds_again(seeded, capsys):
    orders = Order.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Order.objects.count() == orders
    assert "already there" in capsys.readouterr().out
    call_command("seed_demo", "--reset", **SMALL)
    assert Order.objects.count() == orders  # same seed, same data
    assert Product.objects.count() == 40
    assert seeding.check_invariants() == []


def test_seed_reaches_a_number_of_lines(db):
    call_command("seed_demo", days=4, products=30, lines=2000, verbosity=0)
    lines = OrderItem.objects.count()
    assert 1900 <= lines <= 2100
    assert seeding.check_invariants() == []


def test_seed_keeps_credit_balances_and_refunds(db):
    call_command("seed_demo", days=20, products=30, orders_per_day=60, customers=10, verbosity=0)
    assert Refund.objects.exists()
    assert Order.objects.filter(status="cancelled").exists()
    assert Customer.objects.filter(balance__gt=0).exists()
    assert seeding.check_invariants() == []


def test_invariant_check_notices_a_broken_ledger(seeded):
    level = StockLevel.objects.order_by("id").first()
    StockLevel.objects.filter(pk=level.pk).update(quantity=level.quantity + 1)
    order = Order.objects.order_by("id").first()
    Order.objects.filter(pk=order.pk).update(total_amount=order.total_amount + 1)
    OrderSequence.objects.filter(day=order.business_date).update(last=0)
    ProductCount.objects.update(active=F("active") + 1)
    leader = ProductDayLeader.objects.order_by("id")[0]
    leader.delete()
    ProductDayThreshold.objects.update_or_create(  # above every revenue of that day
        branch_id=leader.branch_id,
        business_date=leader.business_date,
        defaults={"revenue": Decimal("999999999")},
    )
    problems = seeding.check_invariants()
    assert any("stock levels differ" in p for p in problems)
    assert any("total differs from their lines" in p for p in problems)
    assert any("sequence is behind" in p for p in problems)
    assert "the product count differs from the products" in problems
    assert "1 of the days' best sellers are not among their leaders" in problems
    assert "the leaders' floor is above the 50th best seller on 1 branch-days" in problems


def test_seed_continues_a_day_sequence_already_started(db):
    from datetime import timedelta

    from pospro.clock import business_today

    yesterday = business_today() - timedelta(days=1)
    OrderSequence.objects.create(day=yesterday, last=7)
    call_command("seed_demo", **SMALL)
    first = Order.objects.filter(business_date=yesterday).order_by("created_at").first()
    assert first.order_number.endswith("-008")
    top = Order.objects.filter(business_date=yesterday).count() + 7
    assert OrderSequence.objects.get(day=yesterday).last == top


def test_demo_start_is_fast_on_sqlite(tmp_path):
    """The Quickstart's ./bin/demo: migrate and seed_demo (no arguments) on a fresh SQLite file."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "REDIS_URL": "",
    }
    run = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "timeout": 180}
    migrate = subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], **run, check=False)
    assert migrate.returncode == 0, migrate.stderr
    started = time.monotonic()
    seed = subprocess.run([sys.executable, "manage.py", "seed_demo"], **run, check=False)
    elapsed = time.monotonic() - started
    assert seed.returncode == 0, seed.stderr
    assert "Invariants hold" in seed.stdout
    assert "manager@pospro.local" in seed.stdout
    assert elapsed < 20, f"seed_demo took {elapsed:.1f} s on SQLite"
    again = subprocess.run([sys.executable, "manage.py", "seed_demo"], **run, check=False)
    assert "already there" in again.stdout


def test_seed_leaves_the_clusters_shared_catalogs_unlocked(seeded):
    """Its statistics are refreshed per table: a database-wide ANALYZE inside the seed's
    transaction (the test's, here) would hold the shared catalogs until commit, and every
    other database's ANALYZE would wait for it."""
    from django.db import connection

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

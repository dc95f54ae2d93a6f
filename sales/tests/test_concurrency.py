"""Real parallel requests on PostgreSQL: threads released by a barrier, each on its own
database connection (closed at the end), in a transactional test so locks are real."""

import threading
import uuid
from decimal import Decimal

import pytest

from catalog.models import StockMovement
from catalog.tests.stock import ledger_sum, level
from conftest import client_for
from pospro.testing.parallel import run_together
from sales.models import Order
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db(transaction=True)


def test_thirty_one_unit_orders_on_stock_of_ten(branch, cashier):
    product = stocked_product(branch, stock=10, price=Decimal("5.00"), vat_rate=Decimal("0"))
    clients = [client_for(cashier) for _ in range(30)]
    body = order_body((product, 1), payments=cash(5))
    results = run_together(30, lambda i: post_order(clients[i], body))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 10 + [409] * 20, results
    assert all(r.json()["code"] == "insufficient_stock" for r in results if r.status_code == 409)
    assert level(product, branch) == 0 == ledger_sum(product, branch)
    numbers = sorted(r.json()["order_number"] for r in results if r.status_code == 201)
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == list(range(1, 11))
    assert Order.objects.count() == 10
    assert StockMovement.objects.filter(reason="sale").count() == 10


def test_opposite_product_order_never_deadlocks(branch, cashier):
    a = stocked_product(branch, stock=100, price=Decimal("1.00"), vat_rate=Decimal("0"))
    b = stocked_product(branch, stock=100, price=Decimal("1.00"), vat_rate=Decimal("0"))
    clients = [client_for(cashier) for _ in range(16)]

    def sell(index):
        lines = [(a, 1), (b, 1)] if index % 2 else [(b, 1), (a, 1)]
        return post_order(clients[index], order_body(*lines, payments=cash(2)))

    results = run_together(16, sell)
    assert [r.status_code for r in results] == [201] * 16, [
        getattr(r, "content", r) for r in results
    ]
    assert level(a, branch) == 84 == ledger_sum(a, branch)
    assert level(b, branch) == 84 == ledger_sum(b, branch)


def test_parallel_orders_of_one_day_are_numbered_one_to_n(branch, cashier, manager):
    """Twenty sales at once, on products sold in opposite orders: numbers 001..020 without a
    gap or a repeat, and the rollups the sales kept equal a rebuild from the orders."""
    from pospro.clock import business_today
    from sales import rollup
    from sales.models import OrderSequence, ProductSalesRollup, SalesRollup

    a = stocked_product(branch, stock=100, price=Decimal("2.50"), vat_rate=Decimal("0.18"))
    b = stocked_product(branch, stock=100, price=Decimal("4.00"), vat_rate=Decimal("0.08"))
    sellers = [client_for(cashier if i % 2 else manager) for i in range(20)]

    def sell(index):
        lines = [(a, 1), (b, 2)] if index % 2 else [(b, 1), (a, 3)]
        return post_order(sellers[index], order_body(*lines, payments=cash(50)))

    results = run_together(20, sell)
    assert [r.status_code for r in results] == [201] * 20, results
    day = business_today()
    numbers = sorted(r.json()["order_number"] for r in results)
    assert numbers == [f"ORD-{day:%Y%m%d}-{n:03d}" for n in range(1, 21)]
    assert OrderSequence.objects.get(day=day).last == 20

    def rows():
        sales = SalesRollup.objects.values_list(
            "branch_id", "business_date", "business_hour", "cashier_id", "orders", "gross",
            "tax", "items", "cash",
        )  # fmt: skip
        products = ProductSalesRollup.objects.values_list(
            "product_id", "lines", "quantity", "revenue", "net_revenue", "cost"
        )
        return sorted(sales), sorted(products)

    kept = rows()
    assert sum(row[4] for row in kept[0]) == 20
    rollup.rebuild()
    assert rows() == kept


def test_six_requests_with_one_key_create_one_order(branch, cashier):
    product = stocked_product(branch, stock=10, price=Decimal("5.00"), vat_rate=Decimal("0"))
    clients = [client_for(cashier) for _ in range(6)]
    body = order_body((product, 1), payments=cash(5))
    key = f"till-7-{uuid.uuid4()}"
    results = run_together(6, lambda i: post_order(clients[i], body, HTTP_IDEMPOTENCY_KEY=key))
    statuses = [r.status_code for r in results]
    assert set(statuses) <= {201, 409}, results
    created = [r for r in results if r.status_code == 201]
    assert len({r.json()["id"] for r in created}) == 1
    assert all(
        r.json()["code"] == "idempotency_in_progress" for r in results if r.status_code == 409
    )
    assert Order.objects.count() == 1
    assert level(product, branch) == 9
    # After the first finished, a retry replays it.
    replay = post_order(client_for(cashier), body, HTTP_IDEMPOTENCY_KEY=key)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == created[0].json()["id"]


def test_credit_sales_to_one_customer_lose_no_balance(branch, cashier):
    from sales.models import Customer
    from sales.tests.factories import CustomerFactory

    customer = CustomerFactory()
    product = stocked_product(branch, stock=100, price=Decimal("7.25"), vat_rate=Decimal("0"))
    clients = [client_for(cashier) for _ in range(12)]
    body = order_body(
        (product, 1),
        payments=[{"method": "credit", "amount": Decimal("7.25")}],
        customer_id=str(customer.pk),
    )
    results = run_together(12, lambda i: post_order(clients[i], body))
    assert [r.status_code for r in results] == [201] * 12
    assert Customer.objects.get().balance == Decimal("87.00")


def test_control_unlocked_read_then_write_loses_an_update(branch):
    """Control for the tests above: without the row lock, two sellers that both read the level
    before either writes lose one update, and the CHECK constraint does not notice (the level
    stays >= 0). The locked service, driven the same way, cannot interleave like this."""
    from django.db import transaction

    from catalog.models import StockLevel, StockMovement

    product = stocked_product(branch, stock=10)
    both_read = threading.Barrier(2)

    def naive_sell(_):
        with transaction.atomic():
            row = StockLevel.objects.get(product=product, branch=branch)  # no FOR UPDATE
            both_read.wait(timeout=10)
            StockLevel.objects.filter(pk=row.pk).update(quantity=row.quantity - 1)
            StockMovement.objects.create(
                product=product, branch=branch, quantity=-1,
                balance_after=row.quantity - 1, reason="sale",
            )  # fmt: skip

    results = run_together(2, naive_sell)
    assert results == [None, None]
    assert level(product, branch) == 9, "one decrement was lost"
    assert ledger_sum(product, branch) == 8, "the ledger disagrees with the level"

"""Real concurrency on PostgreSQL: threads released together, each on its own connection."""

import pytest
from django.db import connection

from catalog.exceptions import InsufficientStock
from catalog.services import StockChange, stock_apply, stock_transfer
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock, ledger_sum, level
from pospro.testing.parallel import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _on_postgresql():
    assert connection.vendor == "postgresql", "the suite always runs on PostgreSQL"


def test_concurrent_decrements_never_oversell(branch):
    product = ProductFactory()
    give_stock(product, branch, 10)

    def sell(_):
        return stock_apply(changes=[StockChange(product.pk, branch.pk, -1)], reason="sale")

    results = run_together(24, sell)
    sold = [r for r in results if isinstance(r, list)]
    refused = [r for r in results if isinstance(r, InsufficientStock)]
    assert (len(sold), len(refused)) == (10, 14), results
    assert level(product, branch) == 0 == ledger_sum(product, branch)
    balances = sorted(r[0].balance_after for r in sold)
    assert balances == list(range(10)), "every sale saw the previous one: no lost update"


def test_concurrent_increments_lose_nothing(branch):
    product = ProductFactory()
    results = run_together(
        16,
        lambda i: stock_apply(
            changes=[StockChange(product.pk, branch.pk, i + 1)], reason="stock_purchase"
        ),
    )
    assert all(isinstance(r, list) for r in results), results
    assert level(product, branch) == sum(range(1, 17)) == ledger_sum(product, branch)


def test_opposite_transfers_do_not_deadlock(branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 100)
    give_stock(product, other_branch, 100)

    def transfer(index):
        source, target = (branch, other_branch) if index % 2 else (other_branch, branch)
        return stock_transfer(
            product_id=product.pk, from_branch=source, to_branch=target, quantity=1, user=None
        )

    results = run_together(12, transfer)
    assert all(isinstance(r, list) for r in results), results
    assert level(product, branch) == 100 == ledger_sum(product, branch)
    assert level(product, other_branch) == 100 == ledger_sum(product, other_branch)


def test_two_products_in_opposite_order_do_not_deadlock(branch):
    a, b = ProductFactory.create_batch(2)
    give_stock(a, branch, 50)
    give_stock(b, branch, 50)

    def sell(index):
        pair = [StockChange(a.pk, branch.pk, -1), StockChange(b.pk, branch.pk, -1)]
        return stock_apply(changes=pair if index % 2 else pair[::-1], reason="sale")

    results = run_together(16, sell)
    assert all(isinstance(r, list) for r in results), results
    assert level(a, branch) == 34 == ledger_sum(a, branch)
    assert level(b, branch) == 34 == ledger_sum(b, branch)

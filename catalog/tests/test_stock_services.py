"""The stock service: ledger rows beside every change, all-or-nothing shortages, transfers."""

import pytest
from django.db import connection

from catalog.exceptions import InsufficientStock
from catalog.models import StockLevel, StockMovement
from catalog.services import StockChange, stock_adjust, stock_apply, stock_transfer
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock, ledger_sum, level
from pospro.exceptions import ValidationFailed

pytestmark = pytest.mark.django_db


def test_apply_writes_level_and_ledger(branch, manager):
    product = ProductFactory()
    movements = stock_apply(
        changes=[StockChange(product.pk, branch.pk, 7)], reason="stock_purchase", user=manager
    )
    assert [(m.quantity, m.balance_after, m.reason) for m in movements] == [
        (7, 7, "stock_purchase")
    ]
    assert level(product, branch) == 7 == ledger_sum(product, branch)
    assert StockMovement.objects.get().user == manager


def test_shortage_lists_every_short_line_and_writes_nothing(branch):
    a, b, c = ProductFactory.create_batch(3)
    give_stock(a, branch, 3)
    give_stock(b, branch, 1)
    give_stock(c, branch, 10)
    with pytest.raises(InsufficientStock) as excinfo:
        stock_apply(
            changes=[
                StockChange(a.pk, branch.pk, -5, field="items[0].quantity"),
                StockChange(c.pk, branch.pk, -2, field="items[1].quantity"),
                StockChange(b.pk, branch.pk, -4, field="items[2].quantity"),
            ],
            reason="sale",
        )
    errors = excinfo.value.errors
    assert [(e["field"], e["requested"], e["available"]) for e in errors] == [
        ("items[0].quantity", 5, 3),
        ("items[2].quantity", 4, 1),
    ]
    assert (level(a, branch), level(b, branch), level(c, branch)) == (3, 1, 10)
    assert StockMovement.objects.filter(reason="sale").count() == 0


def test_same_product_twice_is_checked_on_the_total(branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    with pytest.raises(InsufficientStock):
        stock_apply(
            changes=[
                StockChange(product.pk, branch.pk, -3),
                StockChange(product.pk, branch.pk, -3),
            ],
            reason="sale",
        )
    movements = stock_apply(
        changes=[StockChange(product.pk, branch.pk, -3), StockChange(product.pk, branch.pk, -2)],
        reason="sale",
    )
    assert [m.balance_after for m in movements] == [2, 0]
    assert level(product, branch) == 0 == ledger_sum(product, branch)


def test_negative_stock_when_allowed(branch, settings):
    settings.POSPRO_ALLOW_NEGATIVE_STOCK = True
    product = ProductFactory()
    stock_apply(changes=[StockChange(product.pk, branch.pk, -2)], reason="sale")
    assert level(product, branch) == -2 == ledger_sum(product, branch)
    assert StockLevel.objects.get().allow_negative is True


def test_database_refuses_negative_level_as_a_backstop(branch):
    from django.db import IntegrityError, transaction

    product = ProductFactory()
    give_stock(product, branch, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLevel.objects.filter(product=product).update(quantity=-1)


def test_adjust_by_delta_and_by_count(branch, manager):
    product = ProductFactory()
    first = stock_adjust(
        product_id=product.pk, branch=branch, user=manager, reason="stock_purchase", quantity=12
    )
    assert (first.old_stock, first.new_stock) == (0, 12)
    count = stock_adjust(
        product_id=product.pk, branch=branch, user=manager, reason="stock_count", new_stock=9
    )
    assert (count.old_stock, count.new_stock, count.movement.quantity) == (12, 9, -3)
    same = stock_adjust(
        product_id=product.pk, branch=branch, user=manager, reason="stock_count", new_stock=9
    )
    assert same.movement is None
    assert level(product, branch) == 9 == ledger_sum(product, branch)


def test_adjust_rejects_bad_input(branch, manager):
    product = ProductFactory()
    with pytest.raises(ValidationFailed):
        stock_adjust(product_id=product.pk, branch=branch, user=manager, reason="theft", quantity=1)
    with pytest.raises(ValidationFailed):
        stock_adjust(
            product_id=product.pk, branch=branch, user=manager, reason="adjustment",
            quantity=1, new_stock=3,
        )  # fmt: skip
    with pytest.raises(InsufficientStock):
        stock_adjust(product_id=product.pk, branch=branch, user=manager, reason="loss", quantity=-1)


def test_transfer_moves_stock_with_two_movements(branch, other_branch, manager):
    product = ProductFactory()
    give_stock(product, branch, 10)
    movements = stock_transfer(
        product_id=product.pk, from_branch=branch, to_branch=other_branch, quantity=4, user=manager
    )
    assert [(m.reason, m.quantity, m.balance_after) for m in movements] == [
        ("transfer_out", -4, 6),
        ("transfer_in", 4, 4),
    ]
    assert level(product, branch) == 6 == ledger_sum(product, branch)
    assert level(product, other_branch) == 4 == ledger_sum(product, other_branch)


def test_transfer_larger_than_stock_writes_nothing(branch, other_branch, manager):
    product = ProductFactory()
    give_stock(product, branch, 2)
    with pytest.raises(InsufficientStock):
        stock_transfer(
            product_id=product.pk,
            from_branch=branch,
            to_branch=other_branch,
            quantity=3,
            user=manager,
        )
    assert level(product, branch) == 2
    assert level(product, other_branch) == 0
    assert StockMovement.objects.filter(reason__startswith="transfer").count() == 0


def test_adjust_refuses_a_zero_delta(branch, manager):
    product = ProductFactory()
    with pytest.raises(ValidationFailed) as excinfo:
        stock_adjust(
            product_id=product.pk, branch=branch, user=manager, reason="adjustment", quantity=0
        )
    assert excinfo.value.errors[0]["field"] == "quantity"
    assert not StockMovement.objects.exists()


def test_selling_updates_the_stock_row_in_place(branch):
    """PostgreSQL's HOT update: no index covers what a sale changes, so the row is rewritten
    in its page instead of adding an entry to every index of the table (models.StockLevel)."""
    assert connection.vendor == "postgresql"
    product = ProductFactory()
    give_stock(product, branch, 100)
    for _ in range(10):
        stock_apply(changes=[StockChange(product.pk, branch.pk, -1)], reason="sale")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_xact_user_tables "
            "WHERE relname = 'catalog_stocklevel'"
        )
        updated, in_place = cursor.fetchone()
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'catalog_stocklevel'")
        (options,) = cursor.fetchone()
    assert updated >= 10
    assert in_place == updated
    assert "fillfactor=70" in options

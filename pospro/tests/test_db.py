"""pospro.db: statements built once and run with new parameters give the ORM's answers."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tests.factories import BranchFactory, UserFactory
from catalog.models import Category
from pospro.db import compiled_rows, insert_rows
from sales.models import SalesRollup

pytestmark = pytest.mark.django_db


def rollup_rows(start, end, branch_id):
    rows = SalesRollup.objects.filter(business_date__gte=start, business_date__lte=end)
    if branch_id:
        rows = rows.filter(branch_id=branch_id)
    return rows.values("business_date").order_by("business_date")


def test_compiled_rows_swap_in_each_calls_parameters(django_assert_num_queries):
    first, second = BranchFactory(), BranchFactory()
    cashier = UserFactory(branch=first)
    for day, branch, orders in ((1, first, 2), (2, first, 3), (2, second, 4), (3, second, 1)):
        SalesRollup.objects.create(
            branch=branch, business_date=date(2026, 5, day), business_hour=9,
            cashier=cashier, orders=orders,
        )  # fmt: skip

    def days(start, end, branch_id=None):
        rows = compiled_rows("test-days", rollup_rows, start=start, end=end, branch_id=branch_id)
        assert rows == list(rollup_rows(start, end, branch_id))  # the ORM's own answer
        return [row["business_date"].day for row in rows]

    assert days(date(2026, 5, 1), date(2026, 5, 2), first.pk) == [1, 2]
    assert days(date(2026, 5, 2), date(2026, 5, 2), first.pk) == [2]  # start == end
    assert days(date(2026, 5, 2), date(2026, 5, 3), second.pk) == [2, 3]
    assert days(date(2026, 5, 1), date(2026, 5, 3)) == [1, 2, 2, 3]  # no branch: another shape
    with django_assert_num_queries(1):
        compiled_rows(
            "test-days", rollup_rows, start=date(2026, 5, 1), end=date(2026, 5, 1), branch_id=None
        )


def test_insert_rows_writes_what_the_orm_reads_back():
    rows = insert_rows([Category(name="Tea"), Category(name="Coffee")])
    assert [c._state.adding for c in rows] == [False, False]
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Coffee", "Tea"]


def test_insert_rows_of_any_count_share_one_statement_and_keep_every_value():
    from catalog.models import Product
    from catalog.tests.factories import ProductFactory
    from pospro import db

    tea = Category.objects.create(name="Tea")
    built = [
        ProductFactory.build(category=tea, price="12.50", barcode="8690000000011"),
        ProductFactory.build(category=None, price="0.05", barcode=None, image_url=""),
        ProductFactory.build(category=tea, price="1999.99", barcode="8690000000028"),
    ]
    insert_rows(built[:2])
    insert_rows(built[2:])  # one row: a VALUES list
    insert_rows([ProductFactory.build(category=tea), ProductFactory.build(category=tea)])
    counts = {key[1] for key in db._statements if key[0] is Product}
    assert counts == {"columns", 1}  # two and three rows: the same unnest statement
    for product in built:
        stored = Product.objects.values("category_id", "price", "barcode", "name").get(
            pk=product.pk
        )
        assert stored == {
            "category_id": product.category_id,
            "price": Decimal(product.price),
            "barcode": product.barcode,
            "name": product.name,
        }
    assert Product.objects.count() == 5

"""pospro.db: statements built once and run with new parameters give the ORM's answers."""

from datetime import date

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

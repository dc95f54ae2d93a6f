"""The rollup kept by sales events equals the rollup recomputed from the source tables."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from sales.models import SalesRollup
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db
FIELDS = ("orders", "gross", "refunded", "tax", "discount", "items", "cash", "card",
          "meal_card", "credit")  # fmt: skip


def product_snapshot():
    from sales.models import ProductSalesRollup

    rows = ProductSalesRollup.objects.values_list(
        "branch_id", "business_date", "product_id", "lines", "quantity", "revenue",
        "net_revenue", "cost",
    )  # fmt: skip
    return sorted(row for row in rows if any(row[3:]))


def snapshot():
    rows = SalesRollup.objects.values_list(
        "branch_id", "business_date", "business_hour", "cashier_id", *FIELDS
    )
    # Rows that netted to zero (a sale and its cancellation) carry no information.
    return sorted(row for row in rows if any(row[4:]))


def test_incremental_rollup_matches_a_rebuild(cashier_api, manager_api, branch):
    customer = CustomerFactory()
    a = stocked_product(branch, price=Decimal("12.34"), vat_rate=Decimal("0.18"))
    b = stocked_product(branch, price=Decimal("5.55"), vat_rate=Decimal("0.08"))
    one = post_order(cashier_api, order_body((a, 3), (b, 2), payments=cash(100),
                                             discount_amount=Decimal("1.11"))).json()  # fmt: skip
    two = post_order(
        cashier_api,
        order_body(
            (b, 4),
            payments=[{"method": "card", "amount": Decimal("10")},
                      {"method": "credit", "amount": Decimal("13.98")}],
            customer_id=str(customer.pk),
        ),
    ).json()  # fmt: skip
    three = post_order(manager_api, order_body((a, 1), payments=cash(50))).json()
    manager_api.post(
        f"/api/v1/orders/{one['id']}/refund",
        {"items": [{"order_item_id": one["items"][0]["id"], "quantity": 2}]},
        format="json",
    )
    manager_api.post(
        f"/api/v1/orders/{two['id']}/refund",
        {"items": [{"order_item_id": two["items"][0]["id"], "quantity": 1}], "method": "credit"},
        format="json",
    )
    manager_api.post(f"/api/v1/orders/{three['id']}/cancel", {"reason": "void"}, format="json")

    incremental, products = snapshot(), product_snapshot()
    assert incremental, "sales wrote rollup rows"
    assert products, "sales wrote product rollup rows"
    call_command("rebuild_sales_rollup", verbosity=0)
    assert snapshot() == incremental
    assert product_snapshot() == products
    totals = SalesRollup.objects.values_list("orders", "items").first()
    assert totals is not None

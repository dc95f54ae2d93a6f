"""Order lists and details: scoping, filters, query counts."""

from decimal import Decimal

import pytest
from freezegun import freeze_time

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db


def sell(client, product, quantity=1, **extra):
    response = post_order(client, order_body((product, quantity), payments=cash(1000), **extra))
    assert response.status_code == 201, response.json()
    return response.json()


def test_list_is_scoped_to_branch(cashier_api, branch, other_branch, other_cashier, admin_api):
    sell(cashier_api, stocked_product(branch))
    sell(client_for(other_cashier), stocked_product(other_branch))
    assert cashier_api.get("/api/v1/orders").json()["total"] == 1
    assert admin_api.get("/api/v1/orders").json()["total"] == 2
    only_other = admin_api.get(f"/api/v1/orders?branch_id={other_branch.pk}").json()
    assert only_other["total"] == 1


def test_list_newest_first_and_filters(cashier_api, branch, cashier, manager):
    product = stocked_product(branch)
    customer = CustomerFactory()
    # Tokens are made inside the frozen time: a token issued "in the future" is refused.
    with freeze_time("2025-05-01 09:00:00"):
        first = sell(client_for(cashier), product)
    with freeze_time("2025-05-02 09:00:00"):
        second = sell(client_for(cashier), product, customer_id=str(customer.pk))
    with freeze_time("2025-05-03 09:00:00"):
        third = sell(client_for(manager), product)
    items = cashier_api.get("/api/v1/orders").json()["items"]
    assert [o["id"] for o in items] == [third["id"], second["id"], first["id"]]

    def ids(query):
        return [o["id"] for o in cashier_api.get(f"/api/v1/orders?{query}").json()["items"]]

    assert ids("start_date=2025-05-02") == [third["id"], second["id"]]
    assert ids("end_date=2025-05-01") == [first["id"]]
    assert ids("start_date=2025-05-02&end_date=2025-05-02") == [second["id"]]
    assert ids(f"cashier_id={cashier.pk}") == [second["id"], first["id"]]
    assert ids(f"customer_id={customer.pk}") == [second["id"]]
    assert ids("status=completed") == [third["id"], second["id"], first["id"]]
    assert ids("status=cancelled") == []
    assert ids(f"search={second['order_number'][-8:]}") == [second["id"]]


def test_bad_filter_values_are_400(cashier_api):
    assert_problem(cashier_api.get("/api/v1/orders?start_date=yesterday"), 400, "validation_error")
    assert_problem(cashier_api.get("/api/v1/orders?status=lost"), 400, "validation_error")


@pytest.mark.parametrize("count", [1, 12])
def test_list_query_count_is_constant(cashier_api, branch, count, django_assert_num_queries):
    product = stocked_product(branch)
    for _ in range(count):
        sell(cashier_api, product, 1)
    # the total (rollup sum, cancelled orders), orders, items, payments, refunds (refund
    # items skipped when no refunds); the user comes from the cache
    with django_assert_num_queries(6):
        response = cashier_api.get("/api/v1/orders?limit=50")
    assert response.json()["total"] == count


def test_list_items_are_the_detail_representation(cashier_api, manager_api, branch):
    """A listed order is the detail's representation (one serializer for both)."""
    product, other = stocked_product(branch), stocked_product(branch, price=Decimal("3.35"))
    sold = sell(cashier_api, product, 3, discount_amount="1.10", notes="window seat")
    response = manager_api.post(
        f"/api/v1/orders/{sold['id']}/refund",
        {"items": [{"order_item_id": sold["items"][0]["id"], "quantity": 2}], "reason": "broken"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    plain = sell(cashier_api, other, 2)
    cancelled = sell(cashier_api, product, 1)
    response = manager_api.post(
        f"/api/v1/orders/{cancelled['id']}/cancel", {"reason": "mistake"}, format="json"
    )
    assert response.status_code == 200, response.json()
    items = cashier_api.get("/api/v1/orders").json()["items"]
    assert len(items) == 3
    assert items[2]["refunds"][0]["items"][0]["quantity"] == 2
    for listed in items:
        assert listed == cashier_api.get(f"/api/v1/orders/{listed['id']}").json()
    assert {o["id"] for o in items} == {sold["id"], plain["id"], cancelled["id"]}


def test_unfiltered_totals_from_the_rollup_equal_a_count(
    cashier_api, manager_api, admin_api, branch, other_branch, other_cashier
):
    from sales.models import Order

    product = stocked_product(branch)
    orders = [sell(cashier_api, product) for _ in range(4)]
    sell(client_for(other_cashier), stocked_product(other_branch))
    manager_api.post(
        f"/api/v1/orders/{orders[0]['id']}/cancel", {"reason": "mistake"}, format="json"
    )
    manager_api.post(
        f"/api/v1/orders/{orders[1]['id']}/refund",
        {"items": [{"order_item_id": orders[1]["items"][0]["id"], "quantity": 1}]},
        format="json",
    )
    assert Order.objects.filter(status="cancelled").count() == 1
    for client, expected in ((cashier_api, 4), (manager_api, 4), (admin_api, 5)):
        assert client.get("/api/v1/orders").json()["total"] == expected
        assert client.get("/api/v1/orders?skip=3&limit=1").json()["total"] == expected
    # Filtered lists count their rows.
    assert cashier_api.get("/api/v1/orders?status=cancelled").json()["total"] == 1
    assert admin_api.get(f"/api/v1/orders?branch_id={other_branch.pk}").json()["total"] == 1


def test_detail_query_count(cashier_api, branch, django_assert_num_queries):
    order = sell(cashier_api, stocked_product(branch))
    with django_assert_num_queries(4):  # order, items, payments, refunds (user cached)
        response = cashier_api.get(f"/api/v1/orders/{order['id']}")
    assert response.json() == cashier_api.get(f"/api/v1/orders/{order['id']}/").json()


def test_detail_of_unknown_or_malformed_id(cashier_api):
    assert_problem(
        cashier_api.get("/api/v1/orders/6b1f2f52-2c1a-4f7e-9b57-0d1f0b0e0e0e"), 404, "not_found"
    )
    assert_problem(cashier_api.get("/api/v1/orders/not-a-uuid"), 404, "not_found")


def test_orders_cannot_be_edited_or_deleted(manager_api, cashier_api, branch):
    order = sell(cashier_api, stocked_product(branch))
    for method in ("put", "patch", "delete"):
        response = getattr(manager_api, method)(f"/api/v1/orders/{order['id']}", {}, format="json")
        assert_problem(response, 405, "method_not_allowed")


def test_stats_today_net_of_refunds_and_without_cancelled(cashier_api, manager_api, branch):
    product = stocked_product(branch, price=Decimal("10.00"), vat_rate=Decimal("0"))
    kept = sell(cashier_api, product, 3)
    sell(cashier_api, product, 1)
    cancelled = sell(cashier_api, product, 2)
    manager_api.post(f"/api/v1/orders/{cancelled['id']}/cancel", {"reason": "x"}, format="json")
    manager_api.post(
        f"/api/v1/orders/{kept['id']}/refund",
        {"items": [{"order_item_id": kept["items"][0]["id"], "quantity": 1}]},
        format="json",
    )
    stats = manager_api.get("/api/v1/orders/stats").json()
    assert stats["total_orders"] == 2
    assert stats["total_revenue"] == 30.0
    assert stats["average_order_value"] == 15.0
    assert stats["payment_methods"] == {"cash": 30.0, "card": 0, "meal_card": 0, "credit": 0}
    assert stats["top_products"] == [
        {"product_id": str(product.pk), "name": product.name, "quantity_sold": 3, "revenue": 30.0}
    ]
    assert_problem(cashier_api.get("/api/v1/orders/stats"), 403, "permission_denied")

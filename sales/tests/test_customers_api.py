from decimal import Decimal

import pytest

from accounts.tests.test_auth_api import assert_problem
from sales.models import Customer
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db

FIELDS = {
    "id", "name", "email", "phone", "tax_number", "notes", "balance", "credit_limit", "total_spent",
    "order_count", "created_at", "updated_at",
}  # fmt: skip


def test_every_role_creates_reads_and_updates(cashier_api):
    created = cashier_api.post(
        "/api/v1/customers",
        {"name": "Ayse Yilmaz", "email": "ayse@example.com", "phone": "+90 532 000 11 22",
         "balance": 999},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201
    body = created.json()
    assert set(body) == FIELDS
    assert (body["balance"], body["total_spent"], body["order_count"]) == (0, 0, 0)
    patched = cashier_api.patch(
        f"/api/v1/customers/{body['id']}", {"notes": "prefers e-receipts"}, format="json"
    )
    assert patched.json()["notes"] == "prefers e-receipts"
    assert patched.json()["name"] == "Ayse Yilmaz"


def test_search_over_name_email_phone(cashier_api):
    CustomerFactory(name="Mehmet Demir", email="m@x.com", phone="+90 555 1")
    CustomerFactory(name="Zeynep Kaya", email="zk@firm.com", phone="+90 555 2")
    cases = [
        ("mehmet", ["Mehmet Demir"]),
        ("FIRM", ["Zeynep Kaya"]),
        ("555 2", ["Zeynep Kaya"]),
        ("", ["Mehmet Demir", "Zeynep Kaya"]),
    ]
    for query, expected in cases:
        names = [
            c["name"] for c in cashier_api.get(f"/api/v1/customers?search={query}").json()["items"]
        ]
        assert names == expected


def test_totals_follow_orders(cashier_api, manager_api, branch):
    customer = CustomerFactory()
    item = stocked_product(branch, price=Decimal("50.00"), vat_rate=Decimal("0"))
    order = post_order(
        cashier_api, order_body((item, 2), payments=cash(100), customer_id=str(customer.pk))
    ).json()
    post_order(cashier_api, order_body((item, 1), payments=cash(50), customer_id=str(customer.pk)))
    manager_api.post(
        f"/api/v1/orders/{order['id']}/refund",
        {"items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]},
        format="json",
    )
    body = cashier_api.get(f"/api/v1/customers/{customer.pk}").json()
    assert (body["total_spent"], body["order_count"]) == (100.0, 2)
    orders = cashier_api.get(f"/api/v1/customers/{customer.pk}/orders").json()
    assert orders["total"] == 2
    assert orders["items"][1]["id"] == order["id"]


def test_delete_is_soft_and_refused_with_balance(manager_api, cashier_api, branch):
    debtor = CustomerFactory()
    Customer.objects.filter(pk=debtor.pk).update(balance=Decimal("12.50"))
    assert_problem(manager_api.delete(f"/api/v1/customers/{debtor.pk}"), 409, "conflict")
    clean = CustomerFactory()
    assert_problem(cashier_api.delete(f"/api/v1/customers/{clean.pk}"), 403, "permission_denied")
    assert manager_api.delete(f"/api/v1/customers/{clean.pk}").status_code == 204
    assert Customer.objects.filter(pk=clean.pk, is_active=False).exists()
    assert_problem(manager_api.get(f"/api/v1/customers/{clean.pk}"), 404, "not_found")


def test_validation(cashier_api):
    response = cashier_api.post("/api/v1/customers", {"email": "not-an-email"}, format="json")
    fields = {e["field"] for e in assert_problem(response, 400, "validation_error")["errors"]}
    assert fields == {"name", "email"}


@pytest.mark.parametrize("count", [1, 15])
def test_list_query_count(cashier_api, count, django_assert_num_queries):
    CustomerFactory.create_batch(count)
    with django_assert_num_queries(3):
        assert cashier_api.get("/api/v1/customers?limit=100").json()["total"] == count

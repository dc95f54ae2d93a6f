"""Refunds and cancellations: restock, amounts to the cent, status, balances, roles."""

from decimal import Decimal

import pytest
from freezegun import freeze_time

from accounts.tests.test_auth_api import assert_problem
from catalog.models import StockMovement
from catalog.tests.stock import ledger_sum, level
from conftest import client_for
from sales.models import Customer, Order
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def sale(cashier_api, branch):
    soap = stocked_product(branch, stock=10, price=D("3.33"), vat_rate=D("0.18"), name="Soap")
    tea = stocked_product(branch, stock=10, price=D("7.50"), vat_rate=D("0.08"), name="Tea")
    body = order_body((soap, 3), (tea, 1), payments=cash(50), discount_amount=D("1.00"))
    order = post_order(cashier_api, body).json()
    return order, soap, tea


def refund(client, order, lines, **extra):
    return client.post(
        f"/api/v1/orders/{order['id']}/refund",
        {"items": [{"order_item_id": i, "quantity": q} for i, q in lines], **extra},
        format="json",
    )


def test_partial_then_full_refund_adds_up_to_the_cent(manager_api, sale, branch):
    order, soap, tea = sale
    soap_line, tea_line = order["items"]
    first = refund(manager_api, order, [(soap_line["id"], 1)], reason="broken")
    assert first.status_code == 201, first.json()
    body = first.json()
    assert set(body) >= {"id", "order_id", "amount", "tax_amount", "items", "method", "created_at"}
    assert body["method"] == "cash"
    assert level(soap, branch) == 8
    detail = manager_api.get(f"/api/v1/orders/{order['id']}").json()
    assert detail["status"] == "partially_refunded"
    assert len(detail["refunds"]) == 1

    rest = refund(manager_api, order, [(soap_line["id"], 2), (tea_line["id"], 1)])
    assert rest.status_code == 201
    total_refunded = D(str(body["amount"])) + D(str(rest.json()["amount"]))
    assert total_refunded == D(str(order["total_amount"]))
    tax_refunded = D(str(body["tax_amount"])) + D(str(rest.json()["tax_amount"]))
    assert tax_refunded == D(str(order["tax_amount"]))
    assert manager_api.get(f"/api/v1/orders/{order['id']}").json()["status"] == "refunded"
    assert level(soap, branch) == 10 == ledger_sum(soap, branch)
    assert level(tea, branch) == 10 == ledger_sum(tea, branch)
    assert StockMovement.objects.filter(reason="return").count() == 3

    again = refund(manager_api, order, [(tea_line["id"], 1)])
    assert_problem(again, 409, "conflict")


def test_cannot_refund_more_than_sold(manager_api, sale):
    order, _, _ = sale
    soap_line = order["items"][0]
    response = refund(manager_api, order, [(soap_line["id"], 4)])
    errors = assert_problem(response, 400, "validation_error")["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == ("items[0].quantity", "exceeds_refundable")
    refund(manager_api, order, [(soap_line["id"], 2)])
    response = refund(manager_api, order, [(soap_line["id"], 2)])
    assert assert_problem(response, 400, "validation_error")["errors"][0]["message"] == (
        "Only 1 of 3 can still be refunded."
    )


def test_refund_rejects_foreign_lines(manager_api, sale, cashier_api, branch):
    order, _, _ = sale
    other = post_order(
        cashier_api, order_body((stocked_product(branch), 1), payments=cash(20))
    ).json()
    response = refund(manager_api, order, [(other["items"][0]["id"], 1)])
    errors = assert_problem(response, 400, "validation_error")["errors"]
    assert errors[0]["field"] == "items[0].order_item_id"


def test_cashier_cannot_refund_or_cancel(cashier_api, sale):
    order, _, _ = sale
    assert_problem(
        refund(cashier_api, order, [(order["items"][0]["id"], 1)]), 403, "permission_denied"
    )
    response = cashier_api.post(
        f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, format="json"
    )
    assert_problem(response, 403, "permission_denied")


def test_manager_of_other_branch_gets_404(other_manager, sale):
    order, _, _ = sale
    client = client_for(other_manager)
    assert_problem(refund(client, order, [(order["items"][0]["id"], 1)]), 404, "not_found")
    assert_problem(client.get(f"/api/v1/orders/{order['id']}"), 404, "not_found")


def test_credit_refund_lowers_balance(cashier_api, manager_api, branch):
    customer = CustomerFactory()
    item = stocked_product(branch, price=D("100.00"), vat_rate=D("0.18"))
    order = post_order(
        cashier_api,
        order_body(
            (item, 2),
            payments=[{"method": "credit", "amount": D("236.00")}],
            customer_id=str(customer.pk),
        ),
    ).json()
    assert Customer.objects.get().balance == D("236.00")
    response = refund(manager_api, order, [(order["items"][0]["id"], 1)])
    assert response.json()["method"] == "credit"
    assert Customer.objects.get().balance == D("118.00")


def test_cancel_restores_stock_and_balance(cashier_api, manager_api, branch):
    customer = CustomerFactory()
    item = stocked_product(branch, stock=5, price=D("10.00"), vat_rate=D("0"))
    order = post_order(
        cashier_api,
        order_body(
            (item, 3),
            payments=[{"method": "credit", "amount": D("20")}, {"method": "cash", "amount": 10}],
            customer_id=str(customer.pk),
        ),
    ).json()
    assert level(item, branch) == 2
    response = manager_api.post(
        f"/api/v1/orders/{order['id']}/cancel", {"reason": "customer changed mind"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert level(item, branch) == 5 == ledger_sum(item, branch)
    assert Customer.objects.get().balance == D("0.00")
    again = manager_api.post(f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, format="json")
    assert_problem(again, 409, "conflict")
    assert_problem(refund(manager_api, order, [(order["items"][0]["id"], 1)]), 409, "conflict")


def test_cancel_only_on_the_business_day(cashier, manager, branch):
    item = stocked_product(branch)
    with freeze_time("2025-03-10 20:00:00"):  # 23:00 in Istanbul
        order = post_order(client_for(cashier), order_body((item, 1), payments=cash(20))).json()
    assert Order.objects.get().business_date.isoformat() == "2025-03-10"
    with freeze_time("2025-03-10 21:30:00"):  # 00:30 next day in Istanbul
        response = client_for(manager).post(
            f"/api/v1/orders/{order['id']}/cancel", {"reason": "late"}, format="json"
        )
    assert_problem(response, 409, "conflict")


def test_cancel_refused_after_a_refund(manager_api, sale):
    order, _, _ = sale
    refund(manager_api, order, [(order["items"][0]["id"], 1)])
    response = manager_api.post(
        f"/api/v1/orders/{order['id']}/cancel", {"reason": "x"}, format="json"
    )
    assert_problem(response, 409, "conflict")


def test_cancel_needs_a_reason(manager_api, sale):
    order, _, _ = sale
    response = manager_api.post(f"/api/v1/orders/{order['id']}/cancel", {}, format="json")
    assert assert_problem(response, 400, "validation_error")["errors"][0]["field"] == "reason"


def test_order_number_uses_business_day(cashier, branch):
    item = stocked_product(branch)
    with freeze_time("2025-06-30 21:05:00"):  # 00:05 on July 1st in Istanbul (UTC+3)
        order = post_order(client_for(cashier), order_body((item, 1), payments=cash(20))).json()
    assert order["order_number"] == "ORD-20250701-001"
    assert order["created_at"].endswith("Z")
    stored = Order.objects.get()
    assert (stored.business_date.isoformat(), stored.business_hour) == ("2025-07-01", 0)

"""Refunds and cancellations: restock, amounts to the cent, status, balances, roles."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum
from freezegun import freeze_time

from accounts.tests.test_auth_api import assert_problem
from catalog.models import StockMovement
from catalog.tests.stock import ledger_sum, level
from conftest import client_for
from sales.models import Customer, Order, Refund, SalesRollup
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


def credit_sale(cashier_api, branch, payments, quantity=10):
    """`quantity` pieces at 10.00 without VAT, paid by `payments` [(method, amount)]."""
    customer = CustomerFactory()
    item = stocked_product(branch, stock=quantity, price=D("10.00"), vat_rate=D("0"))
    order = post_order(
        cashier_api,
        order_body(
            (item, quantity),
            payments=[{"method": m, "amount": D(a)} for m, a in payments],
            customer_id=str(customer.pk),
        ),
    ).json()
    return order, order["items"][0]["id"], item


def balance() -> Decimal:
    return Customer.objects.get().balance


def method_totals() -> dict:
    totals = SalesRollup.objects.aggregate(
        *(Sum(f) for f in ("gross", "refunded", "cash", "card", "meal_card", "credit"))
    )
    return {key.split("__")[0]: value for key, value in totals.items()}


def test_cash_refund_of_a_credit_order_is_refused(cashier_api, manager_api, branch):
    order, line, item = credit_sale(cashier_api, branch, [("credit", "100.00")])
    response = refund(manager_api, order, [(line, 2)], method="cash")
    errors = assert_problem(response, 400, "validation_error")["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == ("method", "credit_owed")
    assert "100.00" in errors[0]["message"]
    # Nothing happened: no refund, no restock, the debt stands.
    assert (Refund.objects.count(), level(item, branch), balance()) == (0, 0, D("100.00"))

    fine = refund(manager_api, order, [(line, 2)])
    assert (fine.status_code, fine.json()["method"]) == (201, "credit")
    assert balance() == D("80.00")
    assert level(item, branch) == 2
    assert_problem(refund(manager_api, order, [(line, 1)], method="card"), 400, "validation_error")


def test_split_credit_and_cash_order_refunds_the_credit_first(cashier_api, manager_api, branch):
    order, line, _ = credit_sale(cashier_api, branch, [("credit", "60.00"), ("cash", "40.00")])
    assert balance() == D("60.00")

    first = refund(manager_api, order, [(line, 3)])  # 30.00 of the 60.00 owed
    assert (first.status_code, first.json()["method"]) == (201, "credit")
    assert balance() == D("30.00")
    refused = refund(manager_api, order, [(line, 3)], method="cash")
    assert assert_problem(refused, 400, "validation_error")["errors"][0]["message"] == (
        "30.00 of this order's credit is still owed on account, so the refund of 30.00 goes "
        "to the account first: use method credit or leave it out."
    )
    second = refund(manager_api, order, [(line, 3)], method="credit")  # the last 30.00 owed
    assert (second.status_code, second.json()["method"]) == (201, "credit")
    assert balance() == D("0.00")

    # Nothing is owed any more: the rest is paid out, by default in the order's cash.
    third = refund(manager_api, order, [(line, 2)])
    assert (third.status_code, third.json()["method"]) == (201, "cash")
    assert balance() == D("0.00")
    fourth = refund(manager_api, order, [(line, 2)], method="card")
    assert (fourth.status_code, fourth.json()["method"]) == (201, "card")
    assert balance() == D("0.00")

    # Per method, the rollup nets each tender against what was refunded to it, and still
    # adds up to the sales net of refunds; a rebuild from the source tables agrees.
    totals = method_totals()
    assert (totals["credit"], totals["cash"], totals["card"]) == (D("0"), D("20"), D("-20"))
    assert totals["gross"] - totals["refunded"] == D("0")
    assert sum(totals[m] for m in ("cash", "card", "meal_card", "credit")) == D("0")
    before = sorted(SalesRollup.objects.values_list("cash", "card", "credit", "refunded"))
    call_command("rebuild_sales_rollup", verbosity=0)
    assert sorted(SalesRollup.objects.values_list("cash", "card", "credit", "refunded")) == before


def test_refund_larger_than_the_debt_goes_to_the_account(cashier_api, manager_api, branch):
    """One refund has one method: while any credit is owed, all of it goes to the account."""
    order, line, _ = credit_sale(cashier_api, branch, [("credit", "60.00"), ("cash", "40.00")])
    refund(manager_api, order, [(line, 5)])
    assert balance() == D("10.00")
    assert_problem(refund(manager_api, order, [(line, 3)], method="cash"), 400, "validation_error")
    straddle = refund(manager_api, order, [(line, 3)])
    assert (straddle.status_code, straddle.json()["method"]) == (201, "credit")
    assert balance() == D("-20.00")  # in the customer's favour, never paid out in cash
    last = refund(manager_api, order, [(line, 2)])
    assert (last.status_code, last.json()["method"]) == (201, "cash")
    assert balance() == D("-20.00")


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

"""Order amounts past the DecimalField(12, 2) columns, and out-of-range paging, are 400s naming
the limit: never a numeric overflow (500) half way through writing the order."""

from decimal import Decimal

import pytest

from catalog.tests.stock import level
from sales.models import Order
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db

LIMIT = "9999999999.99"


def _amount_errors(response) -> list[dict]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_error"
    assert LIMIT in body["detail"]
    assert {error["code"] for error in body["errors"]} == {"amount_too_large"}
    return body["errors"]


def test_500_lines_of_100000_units_is_refused_naming_the_limit(manager_api, branch):
    product = stocked_product(
        branch, 100_000 * 500, price=Decimal("99999.99"), vat_rate=Decimal("0")
    )
    body = order_body(*[(product, 100_000)] * 500, payments=cash(LIMIT))
    for path in ("/api/v1/orders", "/api/v1/orders/calculate"):
        errors = _amount_errors(manager_api.post(path, body, format="json"))
        # Each line (9,999,999,000.00) fits; their sum does not.
        assert errors == [
            {
                "field": None,
                "code": "amount_too_large",
                "message": (
                    f"The order subtotal 4999999500000.00 exceeds {LIMIT}, the largest amount "
                    "PosPro stores."
                ),
            },
            *errors[1:],
        ]
    assert not Order.objects.exists()
    assert level(product, branch) == 100_000 * 500


def test_a_managers_largest_unit_price_override_is_refused_when_the_line_overflows(
    manager_api, branch
):
    product = stocked_product(branch, 10)
    body = order_body(
        (product, 2, {"unit_price": LIMIT}), payments=cash(LIMIT) + cash(LIMIT) + cash(LIMIT)
    )
    for path in ("/api/v1/orders", "/api/v1/orders/calculate"):
        errors = _amount_errors(manager_api.post(path, body, format="json"))
        assert [error["field"] for error in errors] == ["items[0]"]
    assert not Order.objects.exists()
    assert level(product, branch) == 10


def test_the_largest_override_with_its_vat_is_refused(manager_api, branch):
    product = stocked_product(branch, 10, vat_rate=Decimal("0.18"))
    body = order_body((product, 1, {"unit_price": LIMIT}), payments=cash(LIMIT))
    errors = _amount_errors(post_order(manager_api, body))
    assert [error["field"] for error in errors] == ["items[0]"]


def test_an_order_at_the_limit_is_sold(manager_api, branch):
    product = stocked_product(branch, 10, vat_rate=Decimal("0"))
    body = order_body((product, 1, {"unit_price": LIMIT}), payments=cash(LIMIT))
    response = post_order(manager_api, body)
    assert response.status_code == 201, response.content
    assert Order.objects.get().total_amount == Decimal(LIMIT)


def test_payments_summing_past_the_limit_are_refused(cashier_api, branch):
    product = stocked_product(branch, 10)
    body = order_body((product, 1), payments=cash(LIMIT) + cash("1.00"))
    errors = _amount_errors(post_order(cashier_api, body))
    assert [error["field"] for error in errors] == ["payments"]
    assert not Order.objects.exists()


def test_credit_past_the_largest_balance_is_refused(manager_api, branch):
    customer = CustomerFactory(balance=Decimal("9999999990.00"))
    product = stocked_product(branch, 10)  # 10.00 + 18% VAT = 11.80
    body = order_body(
        (product, 1),
        payments=[{"method": "credit", "amount": Decimal("11.80")}],
        customer_id=str(customer.pk),
    )
    errors = _amount_errors(post_order(manager_api, body))
    assert [error["field"] for error in errors] == ["payments"]
    customer.refresh_from_db()
    assert customer.balance == Decimal("9999999990.00")


def test_refund_quantity_past_32_bits_is_refused(manager_api, branch):
    product = stocked_product(branch, 10)
    order = post_order(manager_api, order_body((product, 1), payments=cash("11.80"))).json()
    body = {"items": [{"order_item_id": order["items"][0]["id"], "quantity": 2**31}]}
    response = manager_api.post(f"/api/v1/orders/{order['id']}/refund", body, format="json")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["items[0].quantity"]


@pytest.mark.parametrize(
    "path", ["/api/v1/orders", "/api/v1/customers", "/api/v1/customers/{id}/orders"]
)
def test_skip_past_the_limit_is_a_400_on_every_sales_list(admin_api, path):
    path = path.format(id=CustomerFactory().pk)
    response = admin_api.get(f"{path}?skip=9223372036854775808")
    assert response.status_code == 400, response.content
    assert [e["field"] for e in response.json()["errors"]] == ["skip"]


@pytest.mark.parametrize("path", ["/api/v1/orders?search=%00", "/api/v1/customers?search=a%00"])
def test_nul_bytes_in_sales_filters_are_a_400(admin_api, path):
    response = admin_api.get(path)
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["search"]


def test_nul_bytes_in_a_customer_are_a_400(cashier_api):
    response = cashier_api.post(
        "/api/v1/customers", {"name": "a\x00", "notes": "\x00"}, format="json"
    )
    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"name", "notes"}

"""POST /orders and friends through the HTTP API."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from accounts.tests.factories import UserFactory
from accounts.tests.test_auth_api import assert_problem
from catalog.models import StockMovement
from catalog.tests.stock import ledger_sum, level
from conftest import client_for
from sales.models import Customer, Order, Payment, ProductSalesRollup
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def phone(branch):
    return stocked_product(
        branch, stock=10, name="Phone", price=D("999.99"), vat_rate=D("0.18"), barcode="8690001"
    )


def test_contract_example(cashier_api, cashier, branch, phone):
    response = post_order(cashier_api, order_body((phone, 2), payments=cash("2400.00")))
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subtotal"] == 1999.98
    assert body["tax_amount"] == 360.00
    assert body["total_amount"] == 2359.98
    assert body["paid_amount"] == 2400.00
    assert body["change_due"] == 40.02
    assert body["discount_amount"] == 0
    assert body["status"] == "completed"
    assert body["cashier_id"] == str(cashier.pk)
    assert body["branch_id"] == str(branch.pk)
    assert body["refunds"] == []
    assert body["order_number"].startswith("ORD-")
    assert body["order_number"].endswith("-001")
    [item] = body["items"]
    assert item == {
        "id": item["id"],
        "product_id": str(phone.pk),
        "name": "Phone",
        "barcode": "8690001",
        "quantity": 2,
        "unit_price": 999.99,
        "discount_amount": 0.0,
        "vat_rate": 0.18,
        "tax_amount": 360.0,
        "line_total": 2359.98,
    }
    assert body["payments"][0]["method"] == "cash"
    assert body["payments"][0]["amount"] == 2400.0
    assert level(phone, branch) == 8 == ledger_sum(phone, branch)
    movement = StockMovement.objects.get(reason="sale")
    assert (movement.quantity, str(movement.order_id)) == (-2, body["id"])


def test_underpayment_is_refused_and_nothing_written(cashier_api, branch, phone):
    response = post_order(cashier_api, order_body((phone, 2), payments=cash("1999.98")))
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == "payments"
    assert "360.00" in body["errors"][0]["message"]
    assert Order.objects.count() == 0
    assert level(phone, branch) == 10


def test_split_payment_card_and_cash(cashier_api, phone):
    payments = [{"method": "card", "amount": D("2000.00")}, {"method": "cash", "amount": D("400")}]
    body = post_order(cashier_api, order_body((phone, 2), payments=payments)).json()
    assert body["change_due"] == 40.02
    applied = dict(Payment.objects.values_list("method", "applied_amount"))
    assert applied == {"card": D("2000.00"), "cash": D("359.98")}


def test_card_cannot_overpay(cashier_api, phone):
    response = post_order(
        cashier_api, order_body((phone, 1), payments=[{"method": "card", "amount": D("2000")}])
    )
    assert assert_problem(response, 400, "validation_error")["errors"][0]["code"] == "overpayment"


def test_meal_card_payment(cashier_api, branch):
    lunch = stocked_product(branch, price=D("150.00"), vat_rate=D("0.10"))
    response = post_order(
        cashier_api,
        order_body((lunch, 1), payments=[{"method": "meal_card", "amount": D("165.00")}]),
    )
    assert response.status_code == 201
    assert response.json()["payments"][0]["method"] == "meal_card"


def test_credit_needs_customer_and_raises_balance(cashier_api, phone):
    credit = [{"method": "credit", "amount": D("1179.99")}]
    refused = post_order(cashier_api, order_body((phone, 1), payments=credit))
    assert assert_problem(refused, 400, "validation_error")["errors"][0]["code"] == (
        "customer_required"
    )
    customer = CustomerFactory()
    response = post_order(
        cashier_api, order_body((phone, 1), payments=credit, customer_id=str(customer.pk))
    )
    assert response.status_code == 201
    customer.refresh_from_db()
    assert customer.balance == D("1179.99")


def test_discounts_allocate_and_reconcile(cashier_api, branch):
    a = stocked_product(branch, price=D("3.33"), vat_rate=D("0.18"))
    b = stocked_product(branch, price=D("0.99"), vat_rate=D("0.08"))
    c = stocked_product(branch, price=D("19.99"), vat_rate=D("0.01"))
    body = order_body(
        (a, 3, {"discount_amount": D("0.50")}),
        (b, 7),
        (c, 1, {"discount_amount": D("1.11")}),
        payments=cash(100),
        discount_amount=D("2.37"),
    )
    order = post_order(cashier_api, body).json()
    items = order["items"]
    assert round(sum(D(str(i["tax_amount"])) for i in items), 2) == D(str(order["tax_amount"]))
    assert round(sum(D(str(i["line_total"])) for i in items), 2) == D(str(order["total_amount"]))
    assert round(sum(D(str(i["discount_amount"])) for i in items), 2) == D("3.98")
    assert order["discount_amount"] == 3.98
    assert D(str(order["total_amount"])) == (
        D(str(order["subtotal"])) - D(str(order["discount_amount"])) + D(str(order["tax_amount"]))
    )


def test_prices_including_vat(cashier_api, branch, settings):
    settings.POSPRO_PRICES_INCLUDE_VAT = True
    item = stocked_product(branch, price=D("118.00"), vat_rate=D("0.18"))
    order = post_order(cashier_api, order_body((item, 1), payments=cash(118))).json()
    assert (order["tax_amount"], order["total_amount"]) == (18.0, 118.0)


def test_cashier_cannot_override_price_manager_can(cashier_api, manager_api, phone):
    body = order_body((phone, 1, {"unit_price": D("899.99")}), payments=cash(2000))
    refused = post_order(cashier_api, body)
    assert assert_problem(refused, 400, "validation_error")["errors"][0] == {
        "field": "items[0].unit_price",
        "code": "price_mismatch",
        "message": "The current price is 999.99; refresh the catalog.",
    }
    same_price = post_order(
        cashier_api, order_body((phone, 1, {"unit_price": D("999.99")}), payments=cash(2000))
    )
    assert same_price.status_code == 201
    overridden = post_order(manager_api, body)
    assert overridden.status_code == 201
    assert overridden.json()["items"][0]["unit_price"] == 899.99


def test_cashier_sells_as_themself_only(cashier_api, manager_api, cashier, manager, phone):
    body = order_body((phone, 1), payments=cash(2000), cashier_id=str(manager.pk))
    assert_problem(post_order(cashier_api, body), 403, "permission_denied")
    as_cashier = post_order(
        manager_api, order_body((phone, 1), payments=cash(2000), cashier_id=str(cashier.pk))
    )
    assert as_cashier.status_code == 201
    assert as_cashier.json()["cashier_id"] == str(cashier.pk)


def test_branch_rules(cashier_api, admin_api, other_branch, phone, branch):
    body = order_body((phone, 1), payments=cash(2000), branch_id=str(other_branch.pk))
    assert_problem(post_order(cashier_api, body), 403, "permission_denied")
    no_branch = post_order(admin_api, order_body((phone, 1), payments=cash(2000)))
    assert assert_problem(no_branch, 400, "validation_error")["errors"][0]["field"] == "branch_id"
    admin_sale = post_order(
        admin_api, order_body((phone, 1), payments=cash(2000), branch_id=str(branch.pk))
    )
    assert admin_sale.status_code == 201


def test_insufficient_stock_lists_every_short_line(cashier_api, branch):
    a = stocked_product(branch, stock=1)
    b = stocked_product(branch, stock=5)
    c = stocked_product(branch, stock=0)
    response = post_order(cashier_api, order_body((a, 2), (b, 1), (c, 3), payments=cash(1000)))
    body = assert_problem(response, 409, "insufficient_stock")
    assert [(e["field"], e["requested"], e["available"]) for e in body["errors"]] == [
        ("items[0].quantity", 2, 1),
        ("items[2].quantity", 3, 0),
    ]
    assert Order.objects.count() == 0
    assert (level(a, branch), level(b, branch)) == (1, 5)
    assert not StockMovement.objects.filter(reason="sale").exists()


@pytest.mark.parametrize(
    ("item", "field", "code"),
    [
        ({"quantity": 0}, "items[0].quantity", "min_value"),
        ({"quantity": 1.5}, "items[0].quantity", "invalid"),
        ({"discount_amount": -1}, "items[0].discount_amount", "min_value"),
        ({"discount_amount": 5000}, "items[0].discount_amount", "discount_too_large"),
        ({"unit_price": 1.001}, "items[0].unit_price", "max_decimal_places"),
        ({"product_id": "00000000-0000-0000-0000-000000000000"}, "items[0].product_id",
         "does_not_exist"),
    ],
)  # fmt: skip
def test_item_validation(cashier_api, phone, item, field, code):
    body = order_body((phone, 1, item), payments=cash(2000))
    errors = assert_problem(post_order(cashier_api, body), 400, "validation_error")["errors"]
    assert (errors[0]["field"], errors[0]["code"]) == (field, code)


@pytest.mark.parametrize(
    ("payments", "field"),
    [
        ([], "payments"),
        ([{"method": "bitcoin", "amount": 2000}], "payments[0].method"),
        ([{"method": "cash", "amount": 0}], "payments[0].amount"),
        ([{"method": "cash", "amount": -5}], "payments[0].amount"),
    ],
)
def test_payment_validation(cashier_api, phone, payments, field):
    body = order_body((phone, 1), payments=payments)
    errors = assert_problem(post_order(cashier_api, body), 400, "validation_error")["errors"]
    assert errors[0]["field"] == field


def test_inactive_product_cannot_be_sold(cashier_api, phone):
    phone.is_active = False
    phone.save()
    errors = assert_problem(
        post_order(cashier_api, order_body((phone, 1), payments=cash(2000))),
        400,
        "validation_error",
    )["errors"]
    assert errors[0]["field"] == "items[0].product_id"


def test_order_discount_larger_than_cart(cashier_api, phone):
    body = order_body((phone, 1), payments=cash(2000), discount_amount=D("1000"))
    errors = assert_problem(post_order(cashier_api, body), 400, "validation_error")["errors"]
    assert errors[0]["field"] == "discount_amount"


def test_order_numbers_are_sequential_per_day(cashier_api, phone):
    numbers = [
        post_order(cashier_api, order_body((phone, 1), payments=cash(2000))).json()["order_number"]
        for _ in range(3)
    ]
    assert [n[-3:] for n in numbers] == ["001", "002", "003"]


def test_client_never_sets_server_fields(cashier_api, phone, cashier):
    body = order_body(
        (phone, 1), payments=cash(2000), status="refunded", total_amount=1, order_number="X"
    )
    order = post_order(cashier_api, body).json()
    assert (order["status"], order["total_amount"]) == ("completed", 1179.99)
    assert order["order_number"] != "X"


def test_calculate_matches_create_and_writes_nothing(cashier_api, branch, phone):
    body = order_body((phone, 2), payments=cash("2400"), discount_amount=D("10"))
    calc = cashier_api.post("/api/v1/orders/calculate", body, format="json")
    assert calc.status_code == 200
    assert Order.objects.count() == 0
    assert level(phone, branch) == 10
    created = post_order(cashier_api, body).json()
    for key in ("subtotal", "discount_amount", "tax_amount", "total_amount", "change_due"):
        assert calc.json()[key] == created[key]
    assert [i["line_total"] for i in calc.json()["items"]] == [
        i["line_total"] for i in created["items"]
    ]


def test_calculate_without_payments(cashier_api, phone):
    body = order_body((phone, 1))
    body.pop("payments")
    calc = cashier_api.post("/api/v1/orders/calculate", body, format="json")
    assert calc.status_code == 200
    assert calc.json()["total_amount"] == 1179.99


def test_anonymous_cannot_sell(api, phone):
    assert_problem(
        post_order(api, order_body((phone, 1), payments=cash(2000))), 401, "not_authenticated"
    )


def test_deactivated_customer_is_refused(cashier_api, phone):
    customer = CustomerFactory(is_active=False)
    body = order_body((phone, 1), payments=cash(2000), customer_id=str(customer.pk))
    errors = assert_problem(post_order(cashier_api, body), 400, "validation_error")["errors"]
    assert errors[0]["field"] == "customer_id"
    assert Customer.objects.filter(balance__gt=0).count() == 0


def test_manager_of_other_branch_cannot_name_its_cashier(manager_api, other_branch, phone):
    stranger = UserFactory(role="cashier", branch=other_branch)
    body = order_body((phone, 1), payments=cash(2000), cashier_id=str(stranger.pk))
    errors = assert_problem(post_order(manager_api, body), 400, "validation_error")["errors"]
    assert errors[0]["field"] == "cashier_id"
    assert client_for(stranger).get("/api/v1/orders").json()["total"] == 0


@pytest.mark.parametrize("lines", [1, 6])
def test_order_create_runs_a_fixed_number_of_queries(
    cashier_api, branch, lines, django_assert_num_queries
):
    """A sale of the day after the first (its rollup rows and the day's counter exist): a fixed
    set of statements plus one rollup update per product sold, nothing read back for the
    answer."""
    products = [stocked_product(branch) for _ in range(lines)]
    body = order_body(*[(p, 1) for p in products], payments=cash(1000))
    with freeze_time(timezone.now()):  # both sales in one business hour
        assert post_order(cashier_api, body).status_code == 201
        # savepoint; advisory lock; key lookup; branch; products; lock stock; update stock;
        # movements; order; items; payments; one product rollup update per product; sales
        # rollup; the day's counter (lock, update); the order's number; key row; release. The
        # user comes from the cache (accounts.authentication).
        with django_assert_num_queries(17 + lines):
            response = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY=f"qc-{lines}")
    assert response.status_code == 201


def test_a_sale_adds_to_existing_and_new_product_rollup_rows(cashier_api, branch):
    """One sale whose products already sold today (their rows exist) and sell for the first time
    today (rows inserted): every product's row ends as a rebuild computes it."""
    a, b, c = (stocked_product(branch, price=D("2.50"), vat_rate=D("0.18")) for _ in range(3))
    assert post_order(cashier_api, order_body((b, 1), payments=cash(10))).status_code == 201
    assert (
        post_order(cashier_api, order_body((a, 2), (b, 3), (c, 1), payments=cash(50))).status_code
        == 201
    )
    columns = ("product_id", "lines", "quantity", "revenue", "net_revenue", "cost")
    incremental = sorted(ProductSalesRollup.objects.values_list(*columns))
    by_product = {row[0]: row[1:3] for row in incremental}
    assert by_product == {a.pk: (1, 2), b.pk: (2, 4), c.pk: (1, 1)}
    call_command("rebuild_sales_rollup", verbosity=0)
    assert sorted(ProductSalesRollup.objects.values_list(*columns)) == incremental


def test_new_order_answer_equals_the_serializer_representation(cashier_api, branch):
    """The answer to POST /orders is the order as GET /orders/{id} shows it."""
    a = stocked_product(branch, price=D("3.33"), vat_rate=D("0.0725"), barcode=None)
    b = stocked_product(branch, price=D("10.10"), vat_rate=D("0.18"))
    customer = CustomerFactory()
    created = post_order(
        cashier_api,
        order_body(
            (a, 3, {"discount_amount": D("0.99")}),
            (b, 1),
            payments=[{"method": "card", "amount": D("5"), "reference": "AUTH-1"},
                      {"method": "cash", "amount": D("50")}],
            discount_amount=D("1.01"),
            customer_id=str(customer.pk),
            notes="gift wrap",
        ),
    ).json()  # fmt: skip
    assert cashier_api.get(f"/api/v1/orders/{created['id']}").json() == created

"""Customer accounts: credit limits on credit sales, account payments and the statement."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from pospro.clock import business_today
from pospro.testing.parallel import run_together
from sales.models import Customer, CustomerPayment
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import order_body, post_order, stocked_product

D = Decimal


def body(response) -> dict:
    """The answer with its numbers as exact Decimals."""
    return json.loads(response.content, parse_float=Decimal)


def on_account(amount, cash_amount=None) -> list[dict]:
    payments = [{"method": "credit", "amount": D(str(amount))}]
    if cash_amount is not None:
        payments.insert(0, {"method": "cash", "amount": D(str(cash_amount))})
    return payments


def sell(client, customer, product, quantity, payments):
    return post_order(
        client, order_body((product, quantity), payments=payments, customer_id=str(customer.pk))
    )


def pay(client, customer, amount, method="cash", **extra):
    return client.post(
        f"/api/v1/customers/{customer.pk}/payments",
        {"amount": D(str(amount)), "method": method, **extra},
        format="json",
    )


def balance(customer) -> Decimal:
    return Customer.objects.get(pk=customer.pk).balance


@pytest.fixture
def item(branch):
    return stocked_product(branch, stock=1000, price=D("10.00"), vat_rate=D("0"))


# --- credit limit -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_credit_limit_is_exposed_and_set_by_managers_only(manager_api, cashier_api):
    customer = CustomerFactory()
    assert body(cashier_api.get(f"/api/v1/customers/{customer.pk}"))["credit_limit"] is None
    url = f"/api/v1/customers/{customer.pk}"
    patched = manager_api.patch(url, {"credit_limit": "150.50"}, format="json")
    assert patched.status_code == 200, patched.content
    assert body(patched)["credit_limit"] == D("150.50")
    negative = manager_api.patch(url, {"credit_limit": "-1"}, format="json")
    assert assert_problem(negative, 400, "validation_error")["errors"][0]["field"] == "credit_limit"
    refused = cashier_api.patch(url, {"credit_limit": None}, format="json")
    assert_problem(refused, 403, "permission_denied")
    # A cashier still edits the other fields, and sending the unchanged limit is no change.
    same = cashier_api.patch(url, {"notes": "VIP", "credit_limit": "150.50"}, format="json")
    assert same.status_code == 200
    assert Customer.objects.get(pk=customer.pk).credit_limit == D("150.50")
    created = cashier_api.post("/api/v1/customers", {"name": "A", "credit_limit": 5}, format="json")
    assert_problem(created, 403, "permission_denied")
    assert (
        manager_api.patch(url, {"credit_limit": None}, format="json").json()["credit_limit"] is None
    )


@pytest.mark.django_db
def test_cashier_cannot_sell_past_the_limit_manager_can(cashier_api, manager_api, item):
    customer = CustomerFactory(credit_limit=D("50.00"))
    assert sell(cashier_api, customer, item, 3, on_account("30.00")).status_code == 201
    # 30 + 20 = 50: exactly the limit is allowed.
    assert sell(cashier_api, customer, item, 2, on_account("20.00")).status_code == 201
    assert balance(customer) == D("50.00")
    refused = sell(cashier_api, customer, item, 1, on_account("0.01", cash_amount="9.99"))
    assert_problem(refused, 409, "credit_limit_exceeded")
    assert balance(customer) == D("50.00")
    assert item.stock_levels.get().quantity == 995  # the refused sale wrote nothing
    # Cash only is never limited; a manager may exceed the limit.
    assert sell(manager_api, customer, item, 1, on_account("10.00")).status_code == 201
    assert balance(customer) == D("60.00")


# --- account payments -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role_api", ["cashier_api", "manager_api", "admin_api"])
def test_payment_lowers_the_balance(request, role_api, cashier_api, item):
    client = request.getfixturevalue(role_api)
    customer = CustomerFactory()
    assert sell(cashier_api, customer, item, 7, on_account("70.00")).status_code == 201
    response = pay(client, customer, "25.55", method="card", reference="POS-1", note="visit")
    assert response.status_code == 201, response.content
    answer = body(response)
    assert set(answer) == {"id", "customer_id", "amount", "method", "balance_after", "created_at"}
    assert answer["customer_id"] == str(customer.pk)
    assert (answer["amount"], answer["method"], answer["balance_after"]) == (
        D("25.55"),
        "card",
        D("44.45"),
    )
    assert balance(customer) == D("44.45")
    payment = CustomerPayment.objects.get(pk=answer["id"])
    assert (payment.reference, payment.note, payment.business_date) == (
        "POS-1",
        "visit",
        business_today(),
    )
    assert payment.user.email.split("@")[0] in {"cashier", "manager", "admin"}
    # Paying the rest exactly brings it to zero.
    assert body(pay(client, customer, "44.45"))["balance_after"] == D("0.00")
    assert balance(customer) == D("0.00")


@pytest.mark.django_db
def test_payment_refusals(cashier_api, api, item):
    customer = CustomerFactory()
    sell(cashier_api, customer, item, 1, on_account("10.00"))
    problem = assert_problem(pay(cashier_api, customer, "10.01"), 400, "exceeds_balance")
    assert problem["errors"][0]["field"] == "amount"
    assert balance(customer) == D("10.00")
    assert not CustomerPayment.objects.exists()
    for bad in ({"amount": "0", "method": "cash"}, {"amount": "5", "method": "credit"}):
        response = cashier_api.post(f"/api/v1/customers/{customer.pk}/payments", bad, format="json")
        assert_problem(response, 400, "validation_error")
    unknown = "00000000-0000-0000-0000-000000000000"
    response = cashier_api.post(
        f"/api/v1/customers/{unknown}/payments", {"amount": "1", "method": "cash"}, format="json"
    )
    assert_problem(response, 404, "not_found")
    assert_problem(cashier_api.get(f"/api/v1/customers/{unknown}/statement"), 404, "not_found")
    assert pay(api, customer, "1").status_code == 401
    assert api.get(f"/api/v1/customers/{customer.pk}/statement").status_code == 401


@pytest.mark.django_db
def test_other_branch_cashier_takes_payments_customers_are_chain_wide(
    cashier_api, other_cashier, item
):
    customer = CustomerFactory()
    sell(cashier_api, customer, item, 2, on_account("20.00"))
    response = pay(client_for(other_cashier), customer, "5.00")
    assert response.status_code == 201
    assert balance(customer) == D("15.00")


# --- statement --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_statement_runs_to_the_balance(cashier_api, manager_api, item):
    customer = CustomerFactory()
    first = body(sell(cashier_api, customer, item, 10, on_account("60.00", cash_amount="40.00")))
    second = body(sell(cashier_api, customer, item, 3, on_account("30.00")))
    third = body(sell(cashier_api, customer, item, 2, on_account("20.00")))
    sell(cashier_api, customer, item, 1, [{"method": "cash", "amount": D("10.00")}])
    refund = manager_api.post(
        f"/api/v1/orders/{second['id']}/refund",
        {"items": [{"order_item_id": second["items"][0]["id"], "quantity": 1}]},
        format="json",
    )
    assert body(refund)["method"] == "credit"
    assert (
        manager_api.post(
            f"/api/v1/orders/{third['id']}/cancel", {"reason": "wrong customer"}, format="json"
        ).status_code
        == 200
    )
    payment = body(pay(cashier_api, customer, "45.50"))
    assert balance(customer) == D("34.50")  # 60 + 30 + 20 - 10 - 20 - 45.50

    statement = body(cashier_api.get(f"/api/v1/customers/{customer.pk}/statement"))
    assert set(statement) == {"customer_id", "opening_balance", "closing_balance", "entries"}
    assert statement["opening_balance"] == D("0.00")
    today = business_today().isoformat()
    assert statement["entries"] == [
        {"date": today, "type": "sale", "reference": first["order_number"],
         "debit": D("60.00"), "credit": D("0.00"), "balance": D("60.00")},
        {"date": today, "type": "sale", "reference": second["order_number"],
         "debit": D("30.00"), "credit": D("0.00"), "balance": D("90.00")},
        {"date": today, "type": "sale", "reference": third["order_number"],
         "debit": D("20.00"), "credit": D("0.00"), "balance": D("110.00")},
        {"date": today, "type": "refund", "reference": second["order_number"],
         "debit": D("0.00"), "credit": D("10.00"), "balance": D("100.00")},
        {"date": today, "type": "cancel", "reference": third["order_number"],
         "debit": D("0.00"), "credit": D("20.00"), "balance": D("80.00")},
        {"date": today, "type": "payment", "reference": payment["id"],
         "debit": D("0.00"), "credit": D("45.50"), "balance": D("34.50")},
    ]  # fmt: skip
    assert statement["closing_balance"] == balance(customer) == payment["balance_after"]


@pytest.mark.django_db
def test_statement_opening_balance_and_period(cashier_api, item):
    customer = CustomerFactory()
    sell(cashier_api, customer, item, 4, on_account("40.00"))
    pay(cashier_api, customer, "15.00")
    today = business_today()
    # The whole history before today is the opening balance of a period starting tomorrow.
    tomorrow = (today + timedelta(days=1)).isoformat()
    later = body(
        cashier_api.get(
            f"/api/v1/customers/{customer.pk}/statement?start_date={tomorrow}&end_date={tomorrow}"
        )
    )
    assert (later["opening_balance"], later["closing_balance"], later["entries"]) == (
        D("25.00"),
        D("25.00"),
        [],
    )
    yesterday = (today - timedelta(days=1)).isoformat()
    earlier = body(
        cashier_api.get(f"/api/v1/customers/{customer.pk}/statement?end_date={yesterday}")
    )
    assert (earlier["opening_balance"], earlier["closing_balance"], earlier["entries"]) == (
        D("0.00"),
        D("0.00"),
        [],
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "start_date=1999-12-31",
        f"end_date={business_today().year + 2}-01-01",
        "start_date=2020-01-01&end_date=2021-12-31",
        "start_date=2024-02-02&end_date=2024-02-01",
        "start_date=not-a-date",
    ],
)
def test_statement_dates_are_bounded(cashier_api, query):
    customer = CustomerFactory()
    response = cashier_api.get(f"/api/v1/customers/{customer.pk}/statement?{query}")
    assert_problem(response, 400, "validation_error")


@pytest.mark.django_db
@pytest.mark.parametrize("sales", [1, 8])
def test_statement_query_count(cashier_api, item, sales, django_assert_num_queries):
    customer = CustomerFactory()
    for _ in range(sales):
        sell(cashier_api, customer, item, 1, on_account("10.00"))
    pay(cashier_api, customer, "5.00")
    # The customer, the opening balance, the period's entries (the user comes from the cache).
    with django_assert_num_queries(3):
        response = cashier_api.get(f"/api/v1/customers/{customer.pk}/statement")
    assert len(response.json()["entries"]) == sales + 1


@pytest.mark.django_db
def test_admin_shows_the_statement(admin_user, cashier_api, item, client):
    customer = CustomerFactory()
    order = body(sell(cashier_api, customer, item, 2, on_account("20.00")))
    client.force_login(admin_user)
    page = client.get(f"/admin/sales/customer/{customer.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert order["order_number"] in html
    assert "closing balance" in html


# --- concurrency ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_payments_never_go_below_zero(cashier, manager):
    customer = CustomerFactory()
    Customer.objects.filter(pk=customer.pk).update(balance=D("55.00"))
    clients = [client_for(cashier if i % 2 else manager) for i in range(10)]
    results = run_together(10, lambda i: pay(clients[i], customer, "10.00"))
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [201] * 5 + [400] * 5, results
    assert all(body(r)["code"] == "exceeds_balance" for r in results if r.status_code == 400)
    assert balance(customer) == D("5.00")
    afters = sorted(body(r)["balance_after"] for r in results if r.status_code == 201)
    assert afters == [D("5.00"), D("15.00"), D("25.00"), D("35.00"), D("45.00")]


@pytest.mark.django_db(transaction=True)
def test_parallel_credit_sales_never_pass_the_limit(branch, cashier):
    product = stocked_product(branch, stock=100, price=D("10.00"), vat_rate=D("0"))
    customer = CustomerFactory(credit_limit=D("45.00"))
    clients = [client_for(cashier) for _ in range(12)]
    results = run_together(12, lambda i: sell(clients[i], customer, product, 1, on_account(10)))
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [201] * 4 + [409] * 8, results
    assert all(body(r)["code"] == "credit_limit_exceeded" for r in results if r.status_code == 409)
    assert balance(customer) == D("40.00")
    assert product.stock_levels.get(branch=branch).quantity == 96


@pytest.mark.django_db(transaction=True)
def test_parallel_payments_and_credit_sales_lose_nothing(branch, cashier):
    product = stocked_product(branch, stock=100, price=D("10.00"), vat_rate=D("0"))
    customer = CustomerFactory()
    Customer.objects.filter(pk=customer.pk).update(balance=D("100.00"))
    clients = [client_for(cashier) for _ in range(16)]

    def work(index):
        if index % 2:
            return sell(clients[index], customer, product, 1, on_account(10))
        return pay(clients[index], customer, "3.00")

    results = run_together(16, work)
    assert [getattr(r, "status_code", r) for r in results] == [201] * 16, results
    assert balance(customer) == D("100.00") + 8 * D("10.00") - 8 * D("3.00")

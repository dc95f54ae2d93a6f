"""Cash sessions through the API: the report's arithmetic to the cent, the Z report stored and
answered unchanged, gap-free Z numbers, and registers named by sales, refunds, cancellations
and account payments."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from sales.models import CashMovement, CashSession, Order
from sales.tests.factories import CustomerFactory, RegisterFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db


def D(value) -> Decimal:
    """A JSON number of the API as the Decimal it stands for."""
    return Decimal(str(value))


def money(tree):
    """The report with every number as a Decimal (floats never compared)."""
    if isinstance(tree, dict):
        return {key: money(value) for key, value in tree.items()}
    if isinstance(tree, list):
        return [money(value) for value in tree]
    if isinstance(tree, float | int) and not isinstance(tree, bool):
        return D(tree)
    return tree


def open_session(client, register, opening_float="100.00"):
    response = client.post(
        "/api/v1/cash-sessions",
        {"register_id": str(register.pk), "opening_float": opening_float},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def move(client, session_id, type_, amount, reason="float top-up"):
    return client.post(
        f"/api/v1/cash-sessions/{session_id}/movements",
        {"type": type_, "amount": amount, "reason": reason},
        format="json",
    )


def close(client, session_id, counted):
    return client.post(
        f"/api/v1/cash-sessions/{session_id}/close", {"counted_cash": counted}, format="json"
    )


def sell(client, register, *lines, payments, **extra):
    body = order_body(*lines, payments=payments, register_id=str(register.pk), **extra)
    response = post_order(client, body)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def register(branch):
    return RegisterFactory(branch=branch, code="K1")


@pytest.fixture
def products(branch):
    a = stocked_product(branch, stock=50, price=Decimal("10.00"), vat_rate=Decimal("0.18"))
    b = stocked_product(branch, stock=50, price=Decimal("25.00"), vat_rate=Decimal("0.08"))
    return a, b


def test_the_report_to_the_cent(cashier_api, manager_api, register, products):
    a, b = products
    session = open_session(cashier_api, register, "100.00")
    sid = session["id"]
    customer = CustomerFactory()
    # Cash with change: 2 x 10.00 + 18% = 23.60, 50.00 tendered, 26.40 change.
    s1 = sell(cashier_api, register, (a, 2), payments=cash("50.00"))
    assert D(s1["change_due"]) == Decimal("26.40")
    assert s1["cash_session_id"] == sid
    # Card: 25.00 + 8% = 27.00.
    sell(cashier_api, register, (b, 1), payments=[{"method": "card", "amount": "27.00"}])
    # Split with an order discount of 5.00: 33.25; card 20.00 + cash 20.00 -> 6.75 change.
    s3 = sell(
        cashier_api,
        register,
        (a, 1),
        (b, 1),
        payments=[{"method": "card", "amount": "20.00"}, {"method": "cash", "amount": "20.00"}],
        discount_amount="5.00",
    )
    assert D(s3["total_amount"]) == Decimal("33.25")
    # On account, with a customer: 11.80.
    sell(
        cashier_api,
        register,
        (a, 1),
        payments=[{"method": "credit", "amount": "11.80"}],
        customer_id=str(customer.pk),
    )
    # Sold in cash (27.00), then cancelled in the session: the cash goes back.
    s5 = sell(cashier_api, register, (b, 1), payments=cash("27.00"))
    cancel = manager_api.post(
        f"/api/v1/orders/{s5['id']}/cancel",
        {"reason": "wrong item", "register_id": str(register.pk)},
        format="json",
    )
    assert cancel.status_code == 200, cancel.content
    assert cancel.json()["cancel_session_id"] == sid
    # One of the two units of the cash sale refunded in cash: 11.80.
    refund = manager_api.post(
        f"/api/v1/orders/{s1['id']}/refund",
        {
            "items": [{"order_item_id": s1["items"][0]["id"], "quantity": 1}],
            "register_id": str(register.pk),
        },
        format="json",
    )
    assert refund.status_code == 201, refund.content
    assert refund.json()["method"] == "cash"
    assert refund.json()["cash_session_id"] == sid
    # The customer pays 5.00 of the debt in cash at the till.
    payment = cashier_api.post(
        f"/api/v1/customers/{customer.pk}/payments",
        {"amount": "5.00", "method": "cash", "register_id": str(register.pk)},
        format="json",
    )
    assert payment.status_code == 201, payment.content
    assert move(cashier_api, sid, "paid_in", "50.00").status_code == 201
    assert move(cashier_api, sid, "paid_out", "30.00", "supplier").status_code == 201

    x = cashier_api.get(f"/api/v1/cash-sessions/{sid}/x-report")
    assert x.status_code == 200, x.content
    expected = {
        "session_id": sid,
        "register_id": str(register.pk),
        "z_number": None,
        "opened_at": session["opened_at"],
        "closed_at": None,
        "opening_float": Decimal("100.00"),
        "cash_sales": Decimal("63.85"),  # 23.60 + 13.25 + 27.00 kept
        "cash_refunds": Decimal("38.80"),  # refund 11.80 + cancellation 27.00
        "paid_in": Decimal("50.00"),
        "paid_out": Decimal("30.00"),
        "account_payments_cash": Decimal("5.00"),
        "expected_cash": Decimal("150.05"),  # 100 + 63.85 - 38.80 + 50 - 30 + 5
        "counted_cash": None,
        "over_short": None,
        "sales": {
            "count": 5,
            "gross": Decimal("115.00"),
            "discounts": Decimal("5.00"),
            "tax": Decimal("12.65"),
            "total": Decimal("122.65"),
        },
        "refunds": {"count": 1, "amount": Decimal("11.80")},
        "cancellations": {"count": 1, "amount": Decimal("27.00")},
        "tenders": [
            {
                "method": "cash",
                "sales": Decimal("63.85"),
                "refunds": Decimal("38.80"),
                "net": Decimal("25.05"),
            },
            {
                "method": "card",
                "sales": Decimal("47.00"),
                "refunds": Decimal("0"),
                "net": Decimal("47.00"),
            },
            {
                "method": "credit",
                "sales": Decimal("11.80"),
                "refunds": Decimal("0"),
                "net": Decimal("11.80"),
            },
        ],
        "vat": [
            {
                "rate": Decimal("0.08"),
                "net": Decimal("71.43"),
                "tax": Decimal("5.71"),
                "gross": Decimal("77.14"),
            },
            {
                "rate": Decimal("0.18"),
                "net": Decimal("38.57"),
                "tax": Decimal("6.94"),
                "gross": Decimal("45.51"),
            },
        ],
    }
    report = money(x.json())
    assert report == expected
    assert sum(t["sales"] for t in report["tenders"]) == report["sales"]["total"]
    assert sum(v["gross"] for v in report["vat"]) == report["sales"]["total"]
    assert all(v["net"] + v["tax"] == v["gross"] for v in report["vat"])

    closed = close(cashier_api, sid, "150.00")
    assert closed.status_code == 200, closed.content
    z = money(closed.json())
    assert z["z_number"] == 1
    assert z["counted_cash"] == Decimal("150.00")
    assert z["over_short"] == Decimal("-0.05")
    assert z["closed_at"] is not None
    assert {k: v for k, v in z.items() if k not in ("z_number", "closed_at", "counted_cash",
                                                    "over_short")} == {
        k: v for k, v in expected.items()
        if k not in ("z_number", "closed_at", "counted_cash", "over_short")
    }  # fmt: skip
    stored = CashSession.objects.get(pk=sid)
    assert (stored.expected_cash, stored.counted_cash, stored.over_short) == (
        Decimal("150.05"),
        Decimal("150.00"),
        Decimal("-0.05"),
    )
    # The Z is the close's answer, byte for byte, on every later read, by anyone in scope.
    for client in (cashier_api, manager_api, cashier_api):
        again = client.get(f"/api/v1/cash-sessions/{sid}/z-report")
        assert again.status_code == 200
        assert again.content == closed.content
    detail = cashier_api.get(f"/api/v1/cash-sessions/{sid}").json()
    assert detail["status"] == "closed"
    assert D(detail["over_short"]) == Decimal("-0.05")
    assert detail["z_number"] == 1
    call_command("check_cash_sessions")


def test_vat_inclusive_prices_reconcile(cashier_api, register, branch):
    a = stocked_product(branch, price=Decimal("9.99"), vat_rate=Decimal("0.18"))
    b = stocked_product(branch, price=Decimal("3.33"), vat_rate=Decimal("0.01"))
    sid = open_session(cashier_api, register, "0")["id"]
    with override_settings(POSPRO_PRICES_INCLUDE_VAT=True):
        sell(cashier_api, register, (a, 3), (b, 7), payments=cash("60"), discount_amount="1.11")
        sell(
            cashier_api,
            register,
            (a, 1),
            payments=[{"method": "meal_card", "amount": "9.99"}],
        )
    report = money(cashier_api.get(f"/api/v1/cash-sessions/{sid}/x-report").json())
    total = report["sales"]["total"]
    assert total == report["sales"]["gross"] - report["sales"]["discounts"]
    assert sum(t["sales"] for t in report["tenders"]) == total
    assert sum(v["gross"] for v in report["vat"]) == total
    assert sum(v["tax"] for v in report["vat"]) == report["sales"]["tax"]
    assert [t["method"] for t in report["tenders"]] == ["cash", "meal_card"]


def test_x_report_changes_nothing(cashier_api, register, products):
    a, _ = products
    sid = open_session(cashier_api, register)["id"]
    sell(cashier_api, register, (a, 1), payments=cash("20"))
    before = CashSession.objects.filter(pk=sid).values().get()
    first = cashier_api.get(f"/api/v1/cash-sessions/{sid}/x-report")
    second = cashier_api.get(f"/api/v1/cash-sessions/{sid}/x-report")
    assert first.status_code == 200
    assert first.content == second.content
    assert CashSession.objects.filter(pk=sid).values().get() == before
    assert CashMovement.objects.count() == 0
    # While open there is no Z yet.
    z = cashier_api.get(f"/api/v1/cash-sessions/{sid}/z-report")
    assert z.status_code == 409
    assert z.json()["code"] == "session_open"


def test_z_numbers_are_gap_free_per_register(cashier_api, manager_api, branch, register):
    other = RegisterFactory(branch=branch, code="K2")
    numbers = []
    for _ in range(3):
        sid = open_session(cashier_api, register, "10")["id"]
        numbers.append(close(cashier_api, sid, "10").json()["z_number"])
    sid = open_session(manager_api, other, "10")["id"]
    assert close(manager_api, sid, "10").json()["z_number"] == 1
    assert numbers == [1, 2, 3]
    assert list(
        CashSession.objects.filter(register=register).order_by("z_number")
        .values_list("z_number", flat=True)
    ) == [1, 2, 3]  # fmt: skip


def test_refund_and_cancel_count_where_they_happen(cashier_api, manager_api, register, products):
    a, b = products
    first = open_session(cashier_api, register)["id"]
    sold = sell(cashier_api, register, (a, 2), payments=cash("23.60"))
    voided = sell(cashier_api, register, (b, 1), payments=cash("27.00"))
    z1 = close(cashier_api, first, "150.60")
    assert z1.status_code == 200
    assert D(z1.json()["over_short"]) == Decimal("0.00")
    second = open_session(cashier_api, register, "50")["id"]

    refund = manager_api.post(
        f"/api/v1/orders/{sold['id']}/refund",
        {
            "items": [{"order_item_id": sold["items"][0]["id"], "quantity": 1}],
            "register_id": str(register.pk),
        },
        format="json",
    )
    assert refund.status_code == 201, refund.content
    assert refund.json()["cash_session_id"] == second
    cancel = manager_api.post(
        f"/api/v1/orders/{voided['id']}/cancel",
        {"reason": "void", "register_id": str(register.pk)},
        format="json",
    )
    assert cancel.status_code == 200, cancel.content
    x2 = money(cashier_api.get(f"/api/v1/cash-sessions/{second}/x-report").json())
    assert x2["refunds"] == {"count": 1, "amount": Decimal("11.80")}
    assert x2["cancellations"] == {"count": 1, "amount": Decimal("27.00")}
    assert x2["sales"]["count"] == 0
    assert x2["cash_refunds"] == Decimal("38.80")
    assert x2["expected_cash"] == Decimal("11.20")
    # The closed session's Z never changes.
    assert cashier_api.get(f"/api/v1/cash-sessions/{first}/z-report").content == z1.content
    call_command("check_cash_sessions")


def test_register_id_errors(cashier_api, manager_api, branch, other_branch, register, products):
    a, _ = products
    foreign = RegisterFactory(branch=other_branch, code="K1")
    body = order_body((a, 1), payments=cash("11.80"), register_id=str(foreign.pk))
    response = post_order(cashier_api, body)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "register_id"
    assert response.json()["errors"][0]["code"] == "does_not_exist"

    body["register_id"] = str(register.pk)  # no open session yet
    response = post_order(cashier_api, body)
    assert response.status_code == 409
    assert response.json()["code"] == "no_open_session"
    # Nothing was written: stock untouched, no order.
    assert Order.objects.count() == 0

    inactive = RegisterFactory(branch=branch, code="K9", is_active=False)
    body["register_id"] = str(inactive.pk)
    assert post_order(cashier_api, body).status_code == 400

    customer = CustomerFactory(balance=Decimal("10.00"))
    payment = cashier_api.post(
        f"/api/v1/customers/{customer.pk}/payments",
        {"amount": "5.00", "method": "cash", "register_id": str(register.pk)},
        format="json",
    )
    assert payment.status_code == 409
    assert payment.json()["code"] == "no_open_session"
    payment = cashier_api.post(
        f"/api/v1/customers/{customer.pk}/payments",
        {"amount": "5.00", "method": "cash", "register_id": str(foreign.pk)},
        format="json",
    )
    assert payment.status_code == 400
    customer.refresh_from_db()
    assert customer.balance == Decimal("10.00")

    # The idempotent path takes register_id too.
    sid = open_session(cashier_api, register)["id"]
    body["register_id"] = str(register.pk)
    response = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 201
    assert response.json()["cash_session_id"] == sid
    replay = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert replay.content == response.content


@override_settings(POSPRO_REQUIRE_CASH_SESSION=True)
def test_require_cash_session(cashier_api, manager_api, register, products):
    a, _ = products
    refused = post_order(cashier_api, order_body((a, 1), payments=cash("11.80")))
    assert refused.status_code == 400
    assert refused.json()["code"] == "register_required"
    card = post_order(
        cashier_api, order_body((a, 1), payments=[{"method": "card", "amount": "11.80"}])
    )
    assert card.status_code == 201  # no cash moves
    open_session(cashier_api, register)
    sold = sell(cashier_api, register, (a, 2), payments=cash("23.60"))

    line = sold["items"][0]["id"]
    refund = manager_api.post(
        f"/api/v1/orders/{sold['id']}/refund",
        {"items": [{"order_item_id": line, "quantity": 1}]},
        format="json",
    )
    assert refund.status_code == 400
    assert refund.json()["code"] == "register_required"
    card_refund = manager_api.post(
        f"/api/v1/orders/{sold['id']}/refund",
        {"items": [{"order_item_id": line, "quantity": 1}], "method": "card"},
        format="json",
    )
    assert card_refund.status_code == 201

    other = sell(cashier_api, register, (a, 1), payments=cash("11.80"))
    cancel = manager_api.post(
        f"/api/v1/orders/{other['id']}/cancel", {"reason": "void"}, format="json"
    )
    assert cancel.status_code == 400
    assert cancel.json()["code"] == "register_required"
    card_cancel = manager_api.post(
        f"/api/v1/orders/{card.json()['id']}/cancel", {"reason": "void"}, format="json"
    )
    assert card_cancel.status_code == 200

    customer = CustomerFactory(balance=Decimal("10.00"))
    url = f"/api/v1/customers/{customer.pk}/payments"
    cash_payment = cashier_api.post(url, {"amount": "1.00", "method": "cash"}, format="json")
    assert cash_payment.status_code == 400
    assert cash_payment.json()["code"] == "register_required"
    assert (
        cashier_api.post(url, {"amount": "1.00", "method": "card"}, format="json").status_code
        == 201
    )
    customer.refresh_from_db()
    assert customer.balance == Decimal("9.00")


def test_movement_rules(cashier_api, manager_api, register):
    sid = open_session(cashier_api, register, "40.00")["id"]
    over = move(cashier_api, sid, "paid_out", "40.01")
    assert over.status_code == 409
    assert over.json()["code"] == "insufficient_cash"
    assert move(cashier_api, sid, "paid_out", "40.00").status_code == 201
    assert move(cashier_api, sid, "paid_out", "0.01").json()["code"] == "insufficient_cash"
    assert move(cashier_api, sid, "paid_in", "0").status_code == 400
    assert move(cashier_api, sid, "refund", "1").status_code == 400
    listed = cashier_api.get(f"/api/v1/cash-sessions/{sid}/movements").json()
    assert listed["total"] == 1
    assert listed["items"][0]["type"] == "paid_out"
    assert close(manager_api, sid, "0").status_code == 200
    late = move(cashier_api, sid, "paid_in", "5.00")
    assert late.status_code == 409
    assert late.json()["code"] == "session_closed"
    again = close(manager_api, sid, "0")
    assert again.status_code == 409
    assert again.json()["code"] == "session_closed"


def test_open_rules(cashier_api, manager_api, branch, register):
    open_session(cashier_api, register)
    twice = cashier_api.post(
        "/api/v1/cash-sessions",
        {"register_id": str(register.pk), "opening_float": "0"},
        format="json",
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "session_already_open"
    negative = cashier_api.post(
        "/api/v1/cash-sessions",
        {"register_id": str(RegisterFactory(branch=branch).pk), "opening_float": "-1"},
        format="json",
    )
    assert negative.status_code == 400
    inactive = RegisterFactory(branch=branch, is_active=False)
    refused = cashier_api.post(
        "/api/v1/cash-sessions",
        {"register_id": str(inactive.pk), "opening_float": "0"},
        format="json",
    )
    assert refused.status_code == 409
    assert refused.json()["code"] == "register_inactive"
    # A register with an open session cannot be deactivated.
    deactivate = manager_api.patch(
        f"/api/v1/registers/{register.pk}", {"is_active": False}, format="json"
    )
    assert deactivate.status_code == 409


def test_check_cash_sessions_finds_tampering(cashier_api, register, products):
    a, _ = products
    sid = open_session(cashier_api, register)["id"]
    sold = sell(cashier_api, register, (a, 1), payments=cash("11.80"))
    assert close(cashier_api, sid, "111.80").status_code == 200
    call_command("check_cash_sessions")  # good data passes

    Order.objects.filter(pk=sold["id"]).update(total_amount=Decimal("11.00"))
    with pytest.raises(CommandError):
        call_command("check_cash_sessions")
    Order.objects.filter(pk=sold["id"]).update(total_amount=Decimal("11.80"))
    call_command("check_cash_sessions")

    stored = CashSession.objects.get(pk=sid)
    report = json.loads(stored.z_report)
    report["cash_sales"] = 0
    CashSession.objects.filter(pk=sid).update(z_report=json.dumps(report))
    with pytest.raises(CommandError):
        call_command("check_cash_sessions")
    CashSession.objects.filter(pk=sid).update(z_report=stored.z_report)
    CashSession.objects.filter(pk=sid).update(z_number=2)  # a gap: Z2 without Z1
    with pytest.raises(CommandError, match="problem"):
        call_command("check_cash_sessions")


def test_the_schema_documents_the_cash_calls(api):
    schema = api.get("/api/v1/schema?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/registers/",
        "/api/v1/registers/{id}/",
        "/api/v1/cash-sessions/",
        "/api/v1/cash-sessions/{id}/",
        "/api/v1/cash-sessions/{id}/movements/",
        "/api/v1/cash-sessions/{id}/x-report/",
        "/api/v1/cash-sessions/{id}/close/",
        "/api/v1/cash-sessions/{id}/z-report/",
    ):
        assert path in paths, path
    close_op = paths["/api/v1/cash-sessions/{id}/close/"]["post"]
    assert "session_closed" in json.dumps(close_op["responses"]["409"])
    assert "CashReport" in json.dumps(close_op["responses"]["200"])
    movement = paths["/api/v1/cash-sessions/{id}/movements/"]["post"]
    assert "insufficient_cash" in json.dumps(movement["responses"]["409"])
    report = schema["components"]["schemas"]["CashReport"]["properties"]
    assert {"expected_cash", "over_short", "tenders", "vat", "sales"} <= set(report)
    order_input = schema["components"]["schemas"]["OrderCreateInputRequest"]["properties"]
    assert "register_id" in order_input

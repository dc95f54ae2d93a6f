"""Cash sessions under real concurrency on PostgreSQL: threads released by a barrier, each on
its own connection, in transactional tests so the row locks are real."""

import json
import uuid
from decimal import Decimal

import pytest

from conftest import client_for
from pospro.testing.parallel import run_together
from sales import cash
from sales.models import CashMovement, CashSession, Order
from sales.tests.factories import RegisterFactory
from sales.tests.helpers import cash as cash_tender
from sales.tests.helpers import order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db(transaction=True)


def _open(actor, register, opening_float="100.00"):
    return cash.cash_session_open(
        actor=actor, register_id=register.pk, opening_float=Decimal(opening_float)
    )


def test_two_closes_at_once_one_z(branch, cashier, manager):
    register = RegisterFactory(branch=branch)
    session = _open(cashier, register)
    clients = [client_for(cashier), client_for(manager)]
    results = run_together(
        2,
        lambda i: clients[i].post(
            f"/api/v1/cash-sessions/{session.pk}/close", {"counted_cash": "100"}, format="json"
        ),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], results
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["code"] == "session_closed"
    winner = next(r for r in results if r.status_code == 200)
    session.refresh_from_db()
    assert session.z_number == 1
    assert json.loads(session.z_report) == winner.json()


def test_two_opens_at_once_one_session(branch, cashier, manager):
    register = RegisterFactory(branch=branch)
    clients = [client_for(cashier), client_for(manager)]
    body = {"register_id": str(register.pk), "opening_float": "10"}
    results = run_together(
        2, lambda i: clients[i].post("/api/v1/cash-sessions", body, format="json")
    )
    assert sorted(r.status_code for r in results) == [201, 409], results
    assert CashSession.objects.filter(register=register).count() == 1


def test_parallel_paid_outs_never_empty_the_drawer_below_zero(branch, cashier, manager):
    register = RegisterFactory(branch=branch)
    session = _open(cashier, register, "100.00")
    clients = [client_for(cashier if i % 2 else manager) for i in range(20)]
    results = run_together(
        20,
        lambda i: clients[i].post(
            f"/api/v1/cash-sessions/{session.pk}/movements",
            {"type": "paid_out", "amount": "15.00", "reason": "supplier"},
            format="json",
        ),
    )
    statuses = sorted(r.status_code for r in results)
    assert statuses == [201] * 6 + [409] * 14, results  # floor(100 / 15) == 6
    assert all(r.json()["code"] == "insufficient_cash" for r in results if r.status_code == 409)
    assert CashMovement.objects.filter(session=session).count() == 6
    assert cash.session_report(session)["expected_cash"] == Decimal("10.00")


def test_a_sale_racing_a_close_never_lands_in_a_closed_session(branch, cashier, manager):
    register = RegisterFactory(branch=branch)
    product = stocked_product(branch, stock=100, price=Decimal("5.00"), vat_rate=Decimal("0"))
    for _round in range(3):
        session = _open(cashier, register, "0")
        clients = [client_for(manager)] + [client_for(cashier) for _ in range(4)]
        body = order_body((product, 1), payments=cash_tender(5), register_id=str(register.pk))

        def work(index, session=session, body=body, clients=clients):
            if index == 0:
                return clients[0].post(
                    f"/api/v1/cash-sessions/{session.pk}/close",
                    {"counted_cash": "0"},
                    format="json",
                )
            return post_order(clients[index], body)

        results = run_together(5, work)
        assert results[0].status_code == 200, results[0]
        z = results[0].json()
        sold = [r.json()["id"] for r in results[1:] if r.status_code == 201]
        refused = [r for r in results[1:] if r.status_code != 201]
        assert all(r.status_code == 409 for r in refused), refused
        assert all(r.json()["code"] == "no_open_session" for r in refused)
        # Every sale that succeeded is in the Z; none landed after the close.
        assert z["sales"]["count"] == len(sold)
        assert Decimal(str(z["cash_sales"])) == Decimal("5.00") * len(sold)
        assert Order.objects.filter(cash_session=session).count() == len(sold)
        assert set(Order.objects.filter(cash_session=session).values_list("id", flat=True)) == {
            uuid.UUID(s) for s in sold
        }


def test_credit_sales_and_account_payments_on_one_register_never_deadlock(branch, cashier, manager):
    """Both lock the customer's row, then the session's: the fixed order cannot deadlock, and
    the balance and the drawer lose nothing."""
    from sales.tests.factories import CustomerFactory

    register = RegisterFactory(branch=branch)
    session = _open(cashier, register, "0")
    product = stocked_product(branch, stock=100, price=Decimal("10.00"), vat_rate=Decimal("0"))
    customer = CustomerFactory(balance=Decimal("100.00"))
    clients = [client_for(cashier if i % 2 else manager) for i in range(12)]

    def work(index):
        if index % 2:
            body = order_body(
                (product, 1),
                payments=[{"method": "credit", "amount": "10.00"}],
                customer_id=str(customer.pk),
                register_id=str(register.pk),
            )
            return post_order(clients[index], body)
        return clients[index].post(
            f"/api/v1/customers/{customer.pk}/payments",
            {"amount": "7.00", "method": "cash", "register_id": str(register.pk)},
            format="json",
        )

    results = run_together(12, work)
    assert [r.status_code for r in results] == [201] * 12, results
    customer.refresh_from_db()
    assert customer.balance == Decimal("100.00") + 6 * Decimal("10.00") - 6 * Decimal("7.00")
    report = cash.session_report(session)
    assert report["account_payments_cash"] == Decimal("42.00")
    assert report["tenders"] == [
        {"method": "credit", "sales": Decimal("60.00"), "refunds": Decimal("0"),
         "net": Decimal("60.00")}
    ]  # fmt: skip

"""Who may do what with registers and cash sessions, 404 outside the branch, and the lists'
query counts."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from conftest import client_for
from sales import cash
from sales.tests.factories import CashSessionFactory, RegisterFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(branch):
    return RegisterFactory(branch=branch, code="K1")


@pytest.fixture
def foreign(other_branch):
    return RegisterFactory(branch=other_branch, code="K1")


def test_registers_read_in_scope(cashier_api, manager_api, admin_api, register, foreign):
    for client in (cashier_api, manager_api):
        listed = client.get("/api/v1/registers").json()
        assert [r["id"] for r in listed["items"]] == [str(register.pk)]
        assert client.get(f"/api/v1/registers/{register.pk}").status_code == 200
        assert client.get(f"/api/v1/registers/{foreign.pk}").status_code == 404
    assert admin_api.get("/api/v1/registers").json()["total"] == 2
    assert admin_api.get(f"/api/v1/registers/{foreign.pk}").status_code == 200


def test_registers_written_by_managers_and_admins(
    cashier_api, manager_api, admin_api, branch, other_branch, register, foreign
):
    refused = cashier_api.post("/api/v1/registers", {"code": "K2"}, format="json")
    assert refused.status_code == 403
    created = manager_api.post("/api/v1/registers", {"code": "K2", "name": "Back"}, format="json")
    assert created.status_code == 201, created.content
    assert created.json() == {
        "id": created.json()["id"],
        "branch_id": str(branch.pk),
        "code": "K2",
        "name": "Back",
        "is_active": True,
        "open_session_id": None,
    }
    duplicate = manager_api.post("/api/v1/registers", {"code": "K2"}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"][0]["field"] == "code"
    elsewhere = manager_api.post(
        "/api/v1/registers", {"code": "K3", "branch_id": str(other_branch.pk)}, format="json"
    )
    assert elsewhere.status_code == 403
    by_admin = admin_api.post(
        "/api/v1/registers", {"code": "K2", "branch_id": str(other_branch.pk)}, format="json"
    )
    assert by_admin.status_code == 201  # K2 again, in another branch
    no_branch = admin_api.post("/api/v1/registers", {"code": "K5"}, format="json")
    assert no_branch.status_code == 400

    url = f"/api/v1/registers/{register.pk}"
    assert cashier_api.patch(url, {"name": "x"}, format="json").status_code == 403
    renamed = manager_api.patch(url, {"name": "Front", "code": "K1A"}, format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["code"]) == ("Front", "K1A")
    moved = manager_api.patch(url, {"branch_id": str(other_branch.pk)}, format="json")
    assert moved.status_code == 400
    clash = manager_api.patch(url, {"code": "K2"}, format="json")
    assert clash.status_code == 400
    assert (
        manager_api.patch(f"/api/v1/registers/{foreign.pk}", {"name": "x"}, format="json")
    ).status_code == 404
    assert (
        admin_api.patch(f"/api/v1/registers/{foreign.pk}", {"is_active": False}, format="json")
    ).json()["is_active"] is False
    assert manager_api.delete(url).status_code == 405
    assert manager_api.put(url, {"code": "K1"}, format="json").status_code == 405


def test_session_roles(branch, cashier, cashier_api, manager_api, admin_api, register, foreign):
    opened = cashier_api.post(
        "/api/v1/cash-sessions",
        {"register_id": str(register.pk), "opening_float": "100.00"},
        format="json",
    )
    assert opened.status_code == 201, opened.content
    session = opened.json()
    assert session["opened_by"] == str(cashier.pk)
    assert session["status"] == "open"
    assert session["branch_id"] == str(branch.pk)
    sid = session["id"]
    assert cashier_api.get(f"/api/v1/registers/{register.pk}").json()["open_session_id"] == sid
    outside = cashier_api.post(
        "/api/v1/cash-sessions",
        {"register_id": str(foreign.pk), "opening_float": "0"},
        format="json",
    )
    assert outside.status_code == 400

    colleague = client_for(UserFactory(role="cashier", branch=branch))
    movement = {"type": "paid_in", "amount": "5.00", "reason": "change"}
    url = f"/api/v1/cash-sessions/{sid}"
    assert colleague.get(url).status_code == 200
    assert colleague.get(f"{url}/x-report").status_code == 200
    assert colleague.post(f"{url}/movements", movement, format="json").status_code == 403
    refused = colleague.post(f"{url}/close", {"counted_cash": "0"}, format="json")
    assert refused.status_code == 403
    assert cashier_api.post(f"{url}/movements", movement, format="json").status_code == 201
    assert manager_api.post(f"{url}/movements", movement, format="json").status_code == 201
    assert admin_api.post(f"{url}/movements", movement, format="json").status_code == 201
    closed = manager_api.post(f"{url}/close", {"counted_cash": "115.00"}, format="json")
    assert closed.status_code == 200
    assert closed.json()["over_short"] == 0
    assert colleague.get(f"{url}/z-report").status_code == 200


def test_sessions_outside_the_branch_are_404(
    other_branch, cashier_api, manager_api, admin_api, foreign
):
    opener = UserFactory(role="cashier", branch=other_branch)
    session = cash.cash_session_open(actor=opener, register_id=foreign.pk, opening_float=Decimal(0))
    url = f"/api/v1/cash-sessions/{session.pk}"
    for client in (cashier_api, manager_api):
        assert client.get(url).status_code == 404
        assert client.get(f"{url}/x-report").status_code == 404
        assert client.get(f"{url}/movements").status_code == 404
        move = {"type": "paid_in", "amount": "1", "reason": "x"}
        assert client.post(f"{url}/movements", move, format="json").status_code == 404
        assert client.post(f"{url}/close", {"counted_cash": "0"}, format="json").status_code == 404
        assert client.get("/api/v1/cash-sessions").json()["total"] == 0
    assert admin_api.get(url).status_code == 200
    assert admin_api.post(f"{url}/close", {"counted_cash": "0"}, format="json").status_code == 200
    for client in (cashier_api, manager_api):
        assert client.get(f"{url}/z-report").status_code == 404
    assert admin_api.get(f"{url}/z-report").status_code == 200


def test_session_list_filters(manager, manager_api, branch, register):
    other = RegisterFactory(branch=branch, code="K2")
    first = cash.cash_session_open(actor=manager, register_id=register.pk, opening_float=Decimal(1))
    cash.cash_session_close(actor=manager, session_id=first.pk, counted_cash=Decimal(1))
    second = cash.cash_session_open(actor=manager, register_id=other.pk, opening_float=Decimal(1))

    def ids(query=""):
        answer = manager_api.get(f"/api/v1/cash-sessions{query}")
        assert answer.status_code == 200, answer.content
        return [s["id"] for s in answer.json()["items"]]

    assert ids() == [str(second.pk), str(first.pk)]
    assert ids(f"?register_id={register.pk}") == [str(first.pk)]
    assert ids("?status=open") == [str(second.pk)]
    assert ids("?status=closed") == [str(first.pk)]
    day = first.business_date
    assert len(ids(f"?start_date={day}&end_date={day}")) == 2
    assert ids(f"?start_date={day.replace(year=day.year - 1)}&end_date="
               f"{day.replace(year=day.year - 1)}") == []  # fmt: skip
    backwards = manager_api.get(f"/api/v1/cash-sessions?start_date={day}&end_date=2001-01-01")
    assert backwards.status_code == 400
    assert manager_api.get("/api/v1/cash-sessions?status=gone").status_code == 400
    assert manager_api.get("/api/v1/cash-sessions?start_date=1900-01-01").status_code == 400


@pytest.mark.parametrize("count", [1, 6])
def test_register_list_query_count(manager_api, branch, count, django_assert_num_queries):
    for index in range(count):
        register = RegisterFactory(branch=branch)
        if index % 2 == 0:
            CashSessionFactory(register=register)
    manager_api.get("/api/v1/registers")  # the token's user is cached from here on
    with django_assert_num_queries(2):  # count, page (open sessions by a subquery)
        answer = manager_api.get("/api/v1/registers")
    assert answer.json()["total"] == count
    assert answer.json()["items"][0]["open_session_id"] is not None


@pytest.mark.parametrize("count", [1, 6])
def test_session_list_query_count(manager_api, branch, count, django_assert_num_queries):
    for _ in range(count):
        CashSessionFactory(register=RegisterFactory(branch=branch))
    manager_api.get("/api/v1/cash-sessions")  # the token's user is cached from here on
    with django_assert_num_queries(2):  # count, page
        answer = manager_api.get("/api/v1/cash-sessions")
    assert answer.json()["total"] == count


def test_detail_and_report_query_counts(manager, manager_api, register, django_assert_num_queries):
    session = cash.cash_session_open(
        actor=manager, register_id=register.pk, opening_float=Decimal(1)
    )
    manager_api.get("/api/v1/registers")  # the token's user is cached from here on
    with django_assert_num_queries(1):
        assert manager_api.get(f"/api/v1/cash-sessions/{session.pk}").status_code == 200
    with django_assert_num_queries(1):
        assert manager_api.get(f"/api/v1/registers/{register.pk}").status_code == 200
    with django_assert_num_queries(7):  # the session, six report aggregates
        assert manager_api.get(f"/api/v1/cash-sessions/{session.pk}/x-report").status_code == 200
    cash.cash_session_close(actor=manager, session_id=session.pk, counted_cash=Decimal(1))
    with django_assert_num_queries(1):  # the stored Z
        assert manager_api.get(f"/api/v1/cash-sessions/{session.pk}/z-report").status_code == 200

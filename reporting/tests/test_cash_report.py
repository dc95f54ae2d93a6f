"""GET /api/v1/reports/cash: closed sessions per register and cashier, scoped, bounded, CSV,
cached until a close, one query (reporting.tests.cash_shop)."""

from datetime import date
from decimal import Decimal

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from reporting import selectors
from reporting.tests.cash_shop import build_cash_shop, session
from reporting.tests.helpers import at
from sales import cash

pytestmark = pytest.mark.django_db

LATER = "2026-03-05 09:00"
PERIOD = "start_date=2026-02-10&end_date=2026-02-11"


@pytest.fixture
def shop(branch, other_branch, manager, other_cashier):
    return build_cash_shop(branch, other_branch, manager, other_cashier)


def get(user, path, when=LATER, **extra):
    with freeze_time(at(when)):
        return client_for(user).get(path, **extra)


def rows(body):
    return [
        (r["branch_code"], r["register_code"], r["cashier"], r["sessions"], r["expected_cash"],
         r["counted_cash"], r["over_short"])
        for r in body["items"]
    ]  # fmt: skip


def test_manager_gets_own_branch_per_register_and_cashier(shop):
    response = get(shop.manager, f"/api/v1/reports/cash?{PERIOD}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["period"] == {"start_date": "2026-02-10", "end_date": "2026-02-11"}
    # The 12th's sessions are outside the period; the open one is never counted.
    assert rows(body) == [
        ("IST-01", "K1", "Ali Veli", 1, 110.0, 108.0, -2.0),
        ("IST-01", "K1", "Zeynep Kaya", 1, 100.0, 100.5, 0.5),
        ("IST-01", "K2", "Ali Veli", 1, 50.0, 50.0, 0.0),
    ]
    first = body["items"][0]
    assert first["register_id"] == str(shop.k1.pk)
    assert first["branch_id"] == str(shop.branch.pk)
    assert first["cashier_id"] == str(shop.ali.pk)
    assert first["cashier_email"] == "ali@pospro.test"
    assert body["totals"] == {
        "sessions": 3,
        "expected_cash": 260.0,
        "counted_cash": 258.5,
        "over_short": -1.5,
    }


def test_figures_are_the_stored_z_figures(shop):
    body = get(shop.manager, "/api/v1/reports/cash?start_date=2026-02-10&end_date=2026-02-12")
    ali_k1 = next(r for r in body.json()["items"] if r["register_code"] == "K1" and
                  r["cashier"] == "Ali Veli")  # fmt: skip
    stored = [shop.sessions["ali_k1_10"], shop.sessions["ali_k1_12"]]
    assert ali_k1["sessions"] == 2
    assert Decimal(str(ali_k1["over_short"])) == sum(s.over_short for s in stored)
    assert Decimal(str(ali_k1["expected_cash"])) == sum(s.expected_cash for s in stored)


def test_admin_sees_every_branch_or_one(shop, admin_user):
    body = get(admin_user, f"/api/v1/reports/cash?{PERIOD}").json()
    assert [r[:3] for r in rows(body)] == [
        ("ANK-01", "K1", shop.other.name),
        ("IST-01", "K1", "Ali Veli"),
        ("IST-01", "K1", "Zeynep Kaya"),
        ("IST-01", "K2", "Ali Veli"),
    ]
    assert body["totals"]["over_short"] == 3.5
    one = get(admin_user, f"/api/v1/reports/cash?{PERIOD}&branch_id={shop.other_branch.pk}")
    assert rows(one.json()) == [("ANK-01", "K1", shop.other.name, 1, 20.0, 25.0, 5.0)]


def test_roles_and_scope(shop, cashier, admin_user):
    assert_problem(get(cashier, f"/api/v1/reports/cash?{PERIOD}"), 403, "permission_denied")
    other = f"/api/v1/reports/cash?{PERIOD}&branch_id={shop.other_branch.pk}"
    assert_problem(get(shop.manager, other), 403, "permission_denied")
    missing = f"/api/v1/reports/cash?{PERIOD}&branch_id=00000000-0000-4000-8000-000000000000"
    assert_problem(get(admin_user, missing), 404, "not_found")
    assert get(shop.other, f"/api/v1/reports/cash?{PERIOD}").status_code == 403
    with freeze_time(at(LATER)):
        assert APIClient().get(f"/api/v1/reports/cash?{PERIOD}").status_code == 401


def test_dates_are_bounded_and_default_to_today(shop):
    backwards = get(shop.manager, "/api/v1/reports/cash?start_date=2026-02-11&end_date=2026-02-10")
    assert_problem(backwards, 400, "validation_error")
    long = get(shop.manager, "/api/v1/reports/cash?start_date=2025-01-01&end_date=2026-02-10")
    assert_problem(long, 400, "validation_error")
    assert_problem(
        get(shop.manager, "/api/v1/reports/cash?start_date=1999-12-31"), 400, "validation_error"
    )
    today = get(shop.manager, "/api/v1/reports/cash", "2026-02-11 20:00").json()
    assert today["period"] == {"start_date": "2026-02-11", "end_date": "2026-02-11"}
    assert rows(today) == [("IST-01", "K2", "Ali Veli", 1, 50.0, 50.0, 0.0)]
    empty = get(shop.manager, "/api/v1/reports/cash?start_date=2026-01-01&end_date=2026-01-31")
    assert empty.json()["items"] == []
    assert empty.json()["totals"] == {
        "sessions": 0, "expected_cash": 0.0, "counted_cash": 0.0, "over_short": 0.0,
    }  # fmt: skip


def test_csv_line_by_line(shop):
    response = get(shop.manager, f"/api/v1/reports/cash?{PERIOD}&format=csv")
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="pospro-cash-2026-02-10_2026-02-11.csv"'
    )
    lines = response.content.decode().split("\r\n")
    assert lines[0] == (
        "branch_id,branch_code,register_id,register_code,cashier_id,cashier,sessions,"
        "expected_cash,counted_cash,over_short"
    )
    b, k1, ali = shop.branch.pk, shop.k1.pk, shop.ali.pk
    assert lines[1] == f"{b},IST-01,{k1},K1,{ali},Ali Veli,1,110.00,108.00,-2.00"
    assert len(lines) == 5
    assert lines[-1] == ""


def test_a_close_shows_at_once_in_the_cached_report(shop, django_capture_on_commit_callbacks):
    path = f"/api/v1/reports/cash?{PERIOD}"
    assert get(shop.manager, path).json()["totals"]["sessions"] == 3
    opened = session(shop.zeynep, shop.k1, "2026-02-11 08:00", "10")
    assert get(shop.manager, path).json()["totals"]["sessions"] == 3, "open: not counted"
    with django_capture_on_commit_callbacks(execute=True):
        cash.cash_session_close(
            actor=shop.zeynep, session_id=opened.pk, counted_cash=Decimal("7.00"),
            at=at("2026-02-11 15:00"),
        )  # fmt: skip
    body = get(shop.manager, path).json()
    assert body["totals"]["sessions"] == 4
    assert body["totals"]["over_short"] == -4.5


def test_a_register_rename_shows_at_once(shop, django_capture_on_commit_callbacks):
    path = f"/api/v1/reports/cash?{PERIOD}"
    assert get(shop.manager, path).json()["items"][0]["register_code"] == "K1"
    with django_capture_on_commit_callbacks(execute=True):
        cash.register_update(actor=shop.manager, register=shop.k1, code="K9")
    codes = [r["register_code"] for r in get(shop.manager, path).json()["items"]]
    assert codes == ["K2", "K9", "K9"]


@pytest.mark.parametrize("scoped", [True, False])
def test_one_query_whatever_the_rows(shop, scoped, django_assert_num_queries):
    branch_id = shop.branch.pk if scoped else None
    for end in (date(2026, 2, 10), date(2026, 2, 28)):
        with django_assert_num_queries(1):
            report = selectors.cash_report(start=date(2026, 2, 10), end=end, branch_id=branch_id)
        assert report["items"]


def test_the_api_reads_once_then_serves_the_cache(shop, django_assert_num_queries):
    path = f"/api/v1/reports/cash?{PERIOD}"
    with freeze_time(at(LATER)):
        client = client_for(shop.manager)
        client.get(path)  # warms the user cache too
        with django_assert_num_queries(0):
            assert client.get(path).status_code == 200

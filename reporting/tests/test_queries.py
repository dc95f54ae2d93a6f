"""A fixed number of queries per report, whatever the number of orders, lines and refunds."""

from datetime import date

import pytest
from freezegun import freeze_time

from conftest import client_for
from reporting import selectors
from reporting.tests.helpers import at, refund, sell

pytestmark = pytest.mark.django_db

FEB = {"start": date(2026, 2, 1), "end": date(2026, 2, 28)}


@pytest.fixture(params=["small", "large"])
def data(request, shop):
    """The shop, and for "large" 30 more orders, every third with a refund."""
    if request.param == "large":
        for n in range(30):
            order = sell(
                f"2026-02-{1 + n % 27:02d} {8 + n % 12:02d}:15",
                shop.cashier if n % 2 else shop.second,
                (shop.tea, 1 + n % 3),
                (shop.coffee, 1),
                method="card" if n % 4 else "cash",
            )
            if n % 3 == 0:
                refund("2026-02-27 12:00", shop.manager, order, (1, 1))
    return shop


SELECTOR_QUERIES = [
    ("daily_report", {"day": date(2026, 2, 10)}, 4),
    ("weekly_report", {"end": date(2026, 2, 10)}, 1),
    ("monthly_report", {"month": date(2026, 2, 1), "today": date(2026, 3, 5)}, 1),
    ("product_report", FEB, 2),
    ("cashier_report", FEB, 1),
    ("order_stats", FEB, 4),
]


@pytest.mark.parametrize(("name", "arguments", "queries"), SELECTOR_QUERIES)
@pytest.mark.parametrize("scoped", [True, False])
def test_selector_query_count(data, name, arguments, queries, scoped, django_assert_num_queries):
    branch_id = data.branch.pk if scoped else None
    with django_assert_num_queries(queries):
        getattr(selectors, name)(**arguments, branch_id=branch_id)


def test_branch_report_query_count(data, django_assert_num_queries):
    with django_assert_num_queries(2):
        selectors.branch_report(**FEB)


def test_grouped_figures_query_count(data, django_assert_num_queries):
    with django_assert_num_queries(1):
        selectors.sales_by(**FEB, by="branch_id")
    with django_assert_num_queries(1):
        selectors.sales_total(**FEB)


REPORT_PATHS = [
    ("/api/v1/reports/daily?date=2026-02-10", 4),
    ("/api/v1/reports/weekly?end_date=2026-02-10", 1),
    ("/api/v1/reports/monthly?month=2026-02", 1),
    ("/api/v1/reports/products?start_date=2026-02-01&end_date=2026-02-28", 2),
    ("/api/v1/reports/cashiers?start_date=2026-02-01&end_date=2026-02-28", 1),
    ("/api/v1/reports/daily?date=2026-02-10&format=csv", 4),
    ("/api/v1/orders/stats?start_date=2026-02-01&end_date=2026-02-28", 4),
]


@pytest.mark.parametrize(("path", "queries"), REPORT_PATHS)
def test_api_query_count_then_cached(data, path, queries, django_assert_num_queries):
    """The user's row, then the report's queries; the second read (user and answer) comes from
    the cache."""
    with freeze_time(at("2026-03-05 09:00")):
        client = client_for(data.manager)
        with django_assert_num_queries(1 + queries):
            assert client.get(path).status_code == 200
        with django_assert_num_queries(0):
            assert client.get(path).status_code == 200


def test_admin_branches_report_query_count(data, admin_user, django_assert_num_queries):
    with freeze_time(at("2026-03-05 09:00")):
        client = client_for(admin_user)
        with django_assert_num_queries(1 + 2):
            client.get("/api/v1/reports/branches?start_date=2026-02-01&end_date=2026-02-28")
        # Naming a branch checks it exists (the user now comes from the cache).
        with django_assert_num_queries(1 + 4):
            client.get(f"/api/v1/reports/daily?date=2026-02-10&branch_id={data.branch.pk}")


def test_time_reports_prints_a_table_and_a_plan(data):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("time_reports", day=date(2026, 2, 10), runs=1, explain=True, stdout=out)
    text = out.getvalue()
    assert "| daily |" in text
    assert "| branches (30 days) | - | - | - |" in text
    assert "Slowest query:" in text
    assert "Execution Time" in text


def test_no_report_index_is_left_on_sales_tables(db):
    """Reports read the rollups; the covering indexes of 0001 are dropped by 0002."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'reporting\\_%'")
        assert cursor.fetchall() == []

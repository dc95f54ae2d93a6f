"""Every report and `/orders/stats` reads a bounded period: days from 2000-01-01 to the end of
next year (business-local), at most POSPRO_REPORT_MAX_DAYS of them; anything else is a 400
naming the field, before a query runs or a cache key is written."""

import pytest
from django.core.cache import cache
from freezegun import freeze_time

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from reporting.tests.helpers import at

pytestmark = pytest.mark.django_db

NOW = "2026-03-05 09:00"  # next year ends 2027-12-31
PERIOD_PATHS = [
    "/api/v1/reports/products",
    "/api/v1/reports/cashiers",
    "/api/v1/reports/branches",
    "/api/v1/orders/stats",
]


def get(user, path):
    with freeze_time(at(NOW)):
        return client_for(user).get(path)


def refused(user, path, field):
    body = assert_problem(get(user, path), 400, "validation_error")
    assert [error["field"] for error in body["errors"]] == [field], body
    return body


def single_day_cases():
    return [
        ("/api/v1/reports/daily?date=0001-01-01", "date"),
        ("/api/v1/reports/daily?date=1999-12-31", "date"),
        ("/api/v1/reports/daily?date=2028-01-01", "date"),
        ("/api/v1/reports/daily?date=9999-12-31", "date"),
        ("/api/v1/reports/weekly?end_date=0001-01-01", "end_date"),
        ("/api/v1/reports/weekly?end_date=0001-01-13", "end_date"),
        ("/api/v1/reports/weekly?end_date=1999-12-31", "end_date"),
        ("/api/v1/reports/weekly?end_date=9999-12-31", "end_date"),
        ("/api/v1/reports/monthly?month=0001-01", "month"),
        ("/api/v1/reports/monthly?month=1999-12", "month"),
        ("/api/v1/reports/monthly?month=2028-01", "month"),
        ("/api/v1/reports/monthly?month=9999-12", "month"),
    ]


def period_cases():
    cases = []
    for path in PERIOD_PATHS:
        cases += [
            (f"{path}?start_date=0001-01-01", "start_date"),
            (f"{path}?start_date=1900-01-01", "start_date"),
            (f"{path}?end_date=0001-01-01", "end_date"),
            (f"{path}?start_date=2026-01-01&end_date=9999-12-31", "end_date"),
            (f"{path}?start_date=2028-01-01", "start_date"),
            # In range, but end_date defaults to today: 2000-01-01..2026-03-05 is too long.
            (f"{path}?start_date=2000-01-01", "start_date"),
            (f"{path}?start_date=2025-03-04", "start_date"),  # 367 days to today
            (f"{path}?start_date=2025-01-01&end_date=2026-01-02", "end_date"),  # 367 days
            (f"{path}?start_date=2026-02-10&end_date=2026-02-01", "end_date"),
        ]
    return cases


@pytest.mark.parametrize(("path", "field"), single_day_cases() + period_cases())
def test_days_out_of_range_and_long_periods_are_400(admin_user, path, field):
    refused(admin_user, path, field)
    # Refused before anything was read or versioned.
    assert not cache.keys("sales:v:*")
    assert not cache.keys("report:*")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/reports/daily?date=1900-01-01",
        "/api/v1/reports/weekly?end_date=0001-01-01",
        "/api/v1/reports/monthly?month=0001-01",
        "/api/v1/reports/products?start_date=1900-01-01",
        "/api/v1/reports/cashiers?start_date=0001-01-01",
        "/api/v1/orders/stats?start_date=0001-01-01",
    ],
)
def test_a_manager_is_bounded_too(manager, path):
    assert_problem(get(manager, path), 400, "validation_error")


def test_the_messages_say_what_is_allowed(admin_user):
    body = refused(admin_user, "/api/v1/reports/weekly?end_date=0001-01-01", "end_date")
    assert body["errors"][0]["message"] == "Must be between 2000-01-01 and 2027-12-31."
    assert body["errors"][0]["code"] == "out_of_range"
    body = refused(admin_user, "/api/v1/reports/monthly?month=9999-12", "month")
    assert body["errors"][0]["message"] == "Must be between 2000-01 and 2027-12."
    body = refused(admin_user, "/api/v1/reports/products?start_date=2025-03-04", "start_date")
    assert body["errors"][0]["message"] == "A period spans at most 366 days; this one spans 367."
    assert body["errors"][0]["code"] == "period_too_long"


@pytest.mark.parametrize(
    ("path", "period"),
    [
        # The first and last days allowed; the comparison periods reach back into 1999.
        ("/api/v1/reports/daily?date=2000-01-01", None),
        ("/api/v1/reports/daily?date=2027-12-31", None),
        ("/api/v1/reports/weekly?end_date=2000-01-01", ("1999-12-26", "2000-01-01")),
        ("/api/v1/reports/weekly?end_date=2027-12-31", ("2027-12-25", "2027-12-31")),
        ("/api/v1/reports/monthly?month=2000-01", None),
        ("/api/v1/reports/monthly?month=2027-12", None),
        *(
            (f"{path}?start_date=2025-01-01&end_date=2026-01-01", ("2025-01-01", "2026-01-01"))
            for path in PERIOD_PATHS
        ),
        *(
            (f"{path}?start_date=2025-03-05", ("2025-03-05", "2026-03-05"))  # 366 days to today
            for path in PERIOD_PATHS
        ),
        ("/api/v1/reports/products?start_date=2027-12-31", ("2027-12-31", "2027-12-31")),
        ("/api/v1/reports/products?end_date=2000-01-01", ("2000-01-01", "2000-01-01")),
    ],
)
def test_the_edges_are_allowed(admin_user, path, period):
    response = get(admin_user, path)
    assert response.status_code == 200, response.json()
    body = response.json()
    if period and "period" in body:
        assert (body["period"]["start_date"], body["period"]["end_date"]) == period
    if "month" in path:
        assert body["month"] == path[-7:]
        assert body["growth_rate"] is None


@pytest.mark.parametrize("path", PERIOD_PATHS)
def test_the_longest_period_is_a_setting(admin_user, settings, path):
    settings.POSPRO_REPORT_MAX_DAYS = 7
    assert get(admin_user, f"{path}?start_date=2026-02-01&end_date=2026-02-07").status_code == 200
    body = refused(admin_user, f"{path}?start_date=2026-02-01&end_date=2026-02-08", "end_date")
    assert body["errors"][0]["message"] == "A period spans at most 7 days; this one spans 8."


def test_the_schema_documents_the_bounds(admin_api):
    schema = admin_api.get("/api/v1/schema/?format=json").json()
    products = schema["paths"]["/api/v1/reports/products/"]["get"]
    end_date = next(p for p in products["parameters"] if p["name"] == "end_date")
    assert "POSPRO_REPORT_MAX_DAYS" in end_date["description"]
    assert "2000-01-01" in end_date["description"]
    assert "statement_timeout" in products["responses"]["503"]["description"]

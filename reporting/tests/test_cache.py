"""Report caching: a read after a committed sale, refund, cancellation or rename shows it; closed
periods are kept long; no cache (TTL 0, Redis down) still answers from the database. Which
database answers: test_replica.py."""

from datetime import date

import pytest
from django.core.cache import cache, caches
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from freezegun import freeze_time

from conftest import client_for
from pospro.cache import VERSION_TTL
from pospro.tests.test_ops import UNREACHABLE_REDIS
from reporting import cache as report_cache
from reporting.tests.helpers import at, cancel, refund, sell
from sales.tests.helpers import cash, order_body, post_order

pytestmark = pytest.mark.django_db

TODAY = "2026-02-10 20:00"


def revenue(user, path, when=TODAY):
    with freeze_time(at(when)):
        return client_for(user).get(path).json()["total_revenue"]


def test_a_read_after_a_sale_refund_or_cancel_includes_it(shop, django_capture_on_commit_callbacks):
    path = "/api/v1/reports/daily"
    assert revenue(shop.manager, path) == 98.0
    with django_capture_on_commit_callbacks(execute=True):
        order = sell("2026-02-10 20:01", shop.cashier, (shop.tea, 1))
    assert revenue(shop.manager, path) == 109.0
    with django_capture_on_commit_callbacks(execute=True):
        cancel("2026-02-10 20:02", shop.manager, order)
    assert revenue(shop.manager, path) == 98.0
    with django_capture_on_commit_callbacks(execute=True):
        refund("2026-02-10 20:03", shop.manager, shop.orders["B"], (1, 1))
    assert revenue(shop.manager, path) == 87.0
    stats = "/api/v1/orders/stats"
    assert revenue(shop.manager, stats) == 87.0


def test_a_late_refund_reaches_the_cached_closed_month(shop, django_capture_on_commit_callbacks):
    path = "/api/v1/reports/monthly?month=2026-01"
    assert revenue(shop.manager, path, "2026-03-05 09:00") == 110.0
    with django_capture_on_commit_callbacks(execute=True):
        refund("2026-03-05 09:01", shop.manager, shop.orders["I"], (1, 4))
    assert revenue(shop.manager, path, "2026-03-05 09:02") == 66.0


def test_writes_without_commit_leave_the_cache_alone(shop, django_assert_num_queries):
    """Versions only move on commit (here the test's transaction never commits): the cached
    answer is kept, which is what a rolled-back sale must do."""
    path = "/api/v1/reports/daily"
    assert revenue(shop.manager, path) == 98.0
    sell("2026-02-10 20:01", shop.cashier, (shop.tea, 1))
    assert revenue(shop.manager, path) == 98.0


def test_other_days_and_branches_keep_their_entries(
    shop, admin_user, django_capture_on_commit_callbacks
):
    january = "/api/v1/reports/monthly?month=2026-01"
    yesterday = "/api/v1/reports/daily?date=2026-02-09"
    assert revenue(shop.manager, january) == 110.0
    assert revenue(shop.manager, yesterday) == 11.0
    everyone = f"/api/v1/reports/daily?date=2026-02-10&branch_id={shop.branch.pk}"
    assert revenue(admin_user, everyone) == 98.0
    assert revenue(admin_user, "/api/v1/reports/daily?date=2026-02-10") == 109.0
    with django_capture_on_commit_callbacks(execute=True):
        sell("2026-02-10 20:01", shop.orders["J"].cashier, (shop.tea, 1))  # the other branch
    with freeze_time(at(TODAY)), CaptureQueriesContext(connection) as queries:
        assert client_for(shop.manager).get(january).json()["total_revenue"] == 110.0
        assert client_for(shop.manager).get(yesterday).json()["total_revenue"] == 11.0
        assert client_for(admin_user).get(everyone).json()["total_revenue"] == 98.0
    assert not [q for q in queries.captured_queries if "rollup" in q["sql"]], "all cached"
    # All branches' figures of that day did change.
    assert revenue(admin_user, "/api/v1/reports/daily?date=2026-02-10") == 120.0


def test_a_rename_shows_at_once(shop, django_capture_on_commit_callbacks):
    path = "/api/v1/reports/products?start_date=2026-02-01&end_date=2026-02-28"
    with freeze_time(at("2026-03-05 09:00")):
        client = client_for(shop.manager)
        assert client.get(path).json()["items"][0]["name"] == "Tea"
        with django_capture_on_commit_callbacks(execute=True):
            shop.tea.name = "Green tea"
            shop.tea.save()
        assert client.get(path).json()["items"][0]["name"] == "Green tea"


def test_closed_periods_live_a_day_and_the_current_one_the_ttl(shop, settings):
    settings.POSPRO_CACHE_TTL = 300
    calls = []

    def remember(name):
        return lambda: calls.append(name) or {"name": name}

    with freeze_time(at(TODAY)):
        old, now = remember("old"), remember("now")
        jan, feb = (date(2026, 1, 1), date(2026, 1, 31)), (date(2026, 2, 1), date(2026, 2, 10))
        report_cache.cached_report(
            "t", {"a": 1}, start=jan[0], end=jan[1], branch_id=None, compute=old
        )
        report_cache.cached_report(
            "t", {"a": 2}, start=feb[0], end=feb[1], branch_id=None, compute=now
        )
    keys = cache.keys("report:t:*")
    ttls = sorted(cache.ttl(key) for key in keys)
    assert len(ttls) == 2
    assert 290 <= ttls[0] <= 300
    assert 86390 <= ttls[1] <= 86400


def test_ttl_zero_turns_report_caching_off(shop, settings, django_assert_num_queries):
    settings.POSPRO_CACHE_TTL = 0
    with freeze_time(at(TODAY)):
        client = client_for(shop.manager)
        for _ in range(2):
            with django_assert_num_queries(1 + 4):
                client.get("/api/v1/reports/daily")


def test_reports_answer_from_the_database_when_redis_is_down(shop):
    with override_settings(CACHES=UNREACHABLE_REDIS):
        assert caches["default"].get("x", "fallback") == "fallback"
        assert revenue(shop.manager, "/api/v1/reports/daily") == 98.0
        assert revenue(shop.manager, "/api/v1/reports/daily") == 98.0


def test_every_key_a_report_read_and_a_sale_leave_expires(
    shop, admin_user, django_capture_on_commit_callbacks
):
    """Version keys live VERSION_TTL at most, cached answers their TTL: nothing a read or a
    write leaves in Redis stays forever (a probe once left 740,208 keys without expiry)."""
    with freeze_time(at(TODAY)):
        for path in (
            "/api/v1/reports/daily",
            "/api/v1/reports/weekly",
            "/api/v1/reports/monthly?month=2026-01",
            "/api/v1/reports/products?start_date=2026-01-01",
            "/api/v1/reports/cashiers?start_date=2026-02-01",
            "/api/v1/reports/branches?start_date=2026-02-01",
            "/api/v1/orders/stats",
        ):
            assert client_for(admin_user).get(path).status_code == 200
        browser = Client()
        browser.force_login(shop.manager)
        assert browser.get("/admin/dashboard/").status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = post_order(
                client_for(shop.cashier), order_body((shop.tea, 1), payments=cash("11.00"))
            )
        assert response.status_code == 201, response.json()
        with django_capture_on_commit_callbacks(execute=True):
            shop.tea.name = "Green tea"
            shop.tea.save()
    keys = cache.keys("*")
    assert any(key.startswith("sales:v:") for key in keys)
    assert report_cache.LABELS_KEY in keys
    assert any(key.startswith("report:") for key in keys)
    forever = [key for key in keys if cache.ttl(key) is None]
    assert forever == []
    assert all(0 < cache.ttl(key) <= VERSION_TTL for key in keys)

"""Answers that carry tokens or personal data are never cached; /metrics is closed in production."""

import os
import subprocess
import sys

import pytest
from django.test import override_settings
from django.utils.cache import patch_cache_control

from accounts.tests.test_auth_api import assert_problem, login
from pospro.middleware import ApiNoStoreMiddleware
from sales.tests.factories import CustomerFactory
from tests.helpers import ROOT

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    return "no-store" in response.get("Cache-Control", "")


def test_auth_answers_are_not_stored(api, cashier):
    response = login(api, cashier.email)
    assert response.status_code == 200
    assert no_store(response)
    tokens = response.json()
    refreshed = api.post(
        "/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}, format="json"
    )
    assert refreshed.status_code == 200
    assert no_store(refreshed)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    me = api.get("/api/v1/auth/me")
    assert (me.status_code, no_store(me)) == (200, True)
    failed = login(api, cashier.email, "not-the-password")
    assert (failed.status_code, no_store(failed)) == (401, True)


def test_customer_and_order_reads_are_not_stored(cashier_api):
    customer = CustomerFactory(name="Ayşe Yılmaz", phone="+90 555 000 00 00")
    detail = cashier_api.get(f"/api/v1/customers/{customer.pk}")
    assert (detail.status_code, no_store(detail)) == (200, True)
    listing = cashier_api.get("/api/v1/customers")
    assert (listing.status_code, no_store(listing)) == (200, True)
    orders = cashier_api.get("/api/v1/orders")
    assert (orders.status_code, no_store(orders)) == (200, True)
    missing = cashier_api.get("/api/v1/customers/00000000-0000-0000-0000-000000000000")
    assert (missing.status_code, no_store(missing)) == (404, True)


def test_operations_endpoints_keep_their_caching(api):
    assert "Cache-Control" not in api.get("/health")


def test_an_api_answer_that_chose_its_caching_keeps_it(rf):
    def view(request):
        from django.http import HttpResponse

        response = HttpResponse("x")
        patch_cache_control(response, private=True, max_age=60)
        return response

    response = ApiNoStoreMiddleware(view)(rf.get("/api/v1/anything"))
    assert "no-store" not in response["Cache-Control"]
    assert "max-age=60" in response["Cache-Control"]


@override_settings(POSPRO_METRICS_TOKEN="", POSPRO_METRICS_PUBLIC=False)
def test_metrics_closed_without_a_token_in_production(api):
    response = assert_problem(api.get("/metrics"), 403, "permission_denied")
    assert "POSPRO_METRICS_TOKEN" in response["detail"]


@override_settings(POSPRO_METRICS_TOKEN="", POSPRO_METRICS_PUBLIC=True)
def test_metrics_public_when_declared(api):
    response = api.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content


@override_settings(POSPRO_METRICS_TOKEN="scrape-me", POSPRO_METRICS_PUBLIC=False)
def test_metrics_token_opens_it_in_production(api):
    assert_problem(api.get("/metrics"), 401, "not_authenticated")
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


@pytest.mark.parametrize(
    ("env", "public"),
    [
        ({"DJANGO_DEBUG": "false"}, False),
        ({"DJANGO_DEBUG": "false", "POSPRO_METRICS_PUBLIC": "true"}, True),
        ({"DJANGO_DEBUG": "true"}, True),
        ({"DJANGO_DEBUG": "true", "POSPRO_METRICS_PUBLIC": "false"}, False),
    ],
)
def test_metrics_public_defaults_to_debug(env, public):
    full = {
        **{k: v for k, v in os.environ.items() if not k.startswith("POSPRO_METRICS")},
        "DJANGO_SECRET_KEY": "test-only-7Qm2vR9xKp4LzT8wNc3HbY6dFj1SgUe5AoXiWq0Zr",
        **env,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.POSPRO_METRICS_PUBLIC)",
        ],
        cwd=ROOT,
        env={**full, "DJANGO_SETTINGS_MODULE": "pospro.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(public)

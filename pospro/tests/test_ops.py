"""Operations endpoints, request id, request log, CORS, schema."""

import json
import logging

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings

from accounts.tests.test_auth_api import assert_problem

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.2},
    }
}


def test_health_needs_no_auth_and_no_database(api, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = api.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert api.get("/health/").status_code == 200


def test_ready_reports_database_and_cache(api):
    response = api.get("/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.fixture
def redis_down():
    # override_settings resets the cache handler, so `cache` now points at a dead Redis.
    with override_settings(CACHES=UNREACHABLE_REDIS):
        assert caches["default"].get("anything", "fallback") == "fallback"
        yield


def test_ready_names_the_cache_when_redis_is_down(api, redis_down):
    response = api.get("/ready")
    body = assert_problem(response, 503, "service_unavailable")
    assert body["cache"] == "down"
    assert body["database"] == "ok"
    assert "cache" in body["detail"]


def test_api_still_answers_when_redis_is_down(admin_api, branch, redis_down):
    response = admin_api.get("/api/v1/branches")
    assert response.status_code == 200
    assert response.json()["total"] == 1
    assert admin_api.get("/api/v1/auth/me").status_code == 200


def test_request_id_is_echoed_or_generated(api):
    response = api.get("/health", HTTP_X_REQUEST_ID="till-42.req-7")
    assert response["X-Request-ID"] == "till-42.req-7"
    generated = api.get("/health")["X-Request-ID"]
    assert len(generated) == 32
    unsafe = api.get("/health", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert unsafe != "bad id\nwith newline"
    too_long = api.get("/health", HTTP_X_REQUEST_ID="a" * 129)["X-Request-ID"]
    assert too_long != "a" * 129


def test_request_log_is_one_json_line_with_request_id(cashier_api, cashier, caplog):
    from pospro.logging import JsonFormatter

    with caplog.at_level(logging.INFO, logger="pospro.request"):
        cashier_api.get("/api/v1/auth/me", HTTP_X_REQUEST_ID="req-123")
    records = [r for r in caplog.records if r.name == "pospro.request"]
    assert len(records) == 1
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "req-123"
    assert line["user_id"] == str(cashier.pk)
    assert line["method"] == "GET"
    assert line["path"] == "/api/v1/auth/me"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0


def test_metrics_exposes_prometheus_text(api):
    api.get("/health")
    response = api.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert "django_http_requests_total_by_method_total" in text
    assert "django_http_requests_latency_seconds_by_view_method" in text


@override_settings(POSPRO_METRICS_TOKEN="scrape-me")
def test_metrics_token(api):
    assert_problem(api.get("/metrics"), 401, "not_authenticated")
    assert_problem(api.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong"), 401, "not_authenticated")
    assert api.get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").status_code == 200


@override_settings(CORS_ALLOWED_ORIGINS=["https://till.example.com"])
def test_cors_preflight_for_allowed_origin(api):
    response = api.options(
        "/api/v1/auth/login",
        HTTP_ORIGIN="https://till.example.com",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization,content-type,idempotency-key",
    )
    assert response["Access-Control-Allow-Origin"] == "https://till.example.com"
    assert "idempotency-key" in response["Access-Control-Allow-Headers"]
    other = api.get("/health", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in other


def test_docs_and_schema_are_public(api):
    schema = api.get("/api/v1/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    docs = api.get("/docs")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()
    redoc = api.get("/redoc")
    assert redoc.status_code == 200
    assert b"cdn" not in redoc.content.lower()


def test_schema_validates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "application/problem+json" in text
    assert "/api/v1/auth/login" in text


def test_trailing_slash_optional_without_redirect(api, cashier):
    from accounts.tests.factories import PASSWORD

    for path in ("/api/v1/auth/login", "/api/v1/auth/login/"):
        response = api.post(path, {"email": cashier.email, "password": PASSWORD}, format="json")
        assert response.status_code == 200

"""Every error answer is RFC 9457 problem+json, with no trace or SQL."""

import pytest
from django.test import override_settings

from accounts.tests.test_auth_api import assert_problem

pytestmark = pytest.mark.django_db


def test_unknown_url_is_problem_404(api):
    assert_problem(api.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_problem(api.get("/definitely/not/here"), 404, "not_found")


def test_unknown_object_is_problem_404(admin_api):
    response = admin_api.get("/api/v1/branches/7d9a7c44-4e0e-4a53-9a7e-11b3a8d6f000")
    assert_problem(response, 404, "not_found")


def test_method_not_allowed_on_api_and_plain_views(admin_api, api):
    assert_problem(admin_api.put("/api/v1/auth/me", {}, format="json"), 405, "method_not_allowed")
    response = api.post("/health")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_malformed_json_is_400(api):
    response = api.post(
        "/api/v1/auth/login", data='{"email": "a@b.c", ', content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")


def test_unsupported_media_type(api):
    response = api.post("/api/v1/auth/login", data="email=x", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_oversized_body_is_413(api):
    response = api.post(
        "/api/v1/auth/login", {"email": "a@b.c", "password": "x" * 5000}, format="json"
    )
    assert_problem(response, 413, "payload_too_large")


@pytest.mark.urls("pospro.tests.urls_boom")
@pytest.mark.parametrize("path", ["/api/v1/boom", "/boom"])
@pytest.mark.parametrize("debug", [False, True])
def test_server_error_never_leaks(path, debug, settings):
    from rest_framework.test import APIClient

    settings.DEBUG = debug
    client = APIClient(raise_request_exception=False)
    response = client.get(path)
    body = assert_problem(response, 500, "server_error")
    assert "SELECT" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["detail"] == "Internal server error."


def test_validation_errors_carry_field_paths(admin_api):
    response = admin_api.post("/api/v1/branches", {"name": ""}, format="json")
    body = assert_problem(response, 400, "validation_error")
    fields = {error["field"] for error in body["errors"]}
    assert fields == {"code", "name"}
    assert all(error["code"] and error["message"] for error in body["errors"])


def test_flatten_nested_paths():
    from rest_framework.exceptions import ErrorDetail

    from pospro.api.exceptions import flatten_errors

    detail = {
        "items": [{}, {"quantity": [ErrorDetail("Must be positive.", code="min_value")]}],
        "non_field_errors": [ErrorDetail("Bad.", code="invalid")],
    }
    assert flatten_errors(detail) == [
        {"field": "items[1].quantity", "code": "min_value", "message": "Must be positive."},
        {"field": None, "code": "invalid", "message": "Bad."},
    ]


@pytest.mark.usefixtures("one_throttle_window")
def test_throttled_user_gets_429_with_retry_after(cashier_api, settings):
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "user": "3/min"}
    for _ in range(3):
        assert cashier_api.get("/api/v1/auth/me").status_code == 200
    response = cashier_api.get("/api/v1/auth/me")
    assert_problem(response, 429, "throttled")
    assert 0 < int(response["Retry-After"]) <= 60


@pytest.mark.usefixtures("one_throttle_window")
def test_login_throttled_per_email_across_ips(api, cashier, settings):
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "login": "2/min"}
    body = {"email": cashier.email, "password": "wrong"}
    for index in range(2):
        ip = f"10.0.0.{index + 1}"
        api.post("/api/v1/auth/login", body, format="json", REMOTE_ADDR=ip)
    response = api.post("/api/v1/auth/login", body, format="json", REMOTE_ADDR="10.0.0.9")
    assert_problem(response, 429, "throttled")
    assert "Retry-After" in response


@pytest.mark.usefixtures("one_throttle_window")
def test_login_throttled_per_ip_across_emails(api, settings):
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "login": "2/min"}
    for index in range(2):
        api.post(
            "/api/v1/auth/login", {"email": f"u{index}@x.test", "password": "x"}, format="json"
        )
    response = api.post(
        "/api/v1/auth/login", {"email": "u9@x.test", "password": "x"}, format="json"
    )
    assert_problem(response, 429, "throttled")


@pytest.mark.usefixtures("one_throttle_window")
def test_throttle_is_shared_through_redis(cashier_api, settings):
    """The history lives in Redis, not in process memory: every gunicorn worker sees it."""
    from django.core.cache import cache

    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "user": "5/min"}
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    cashier_api.get("/api/v1/auth/me")
    cashier_api.get("/api/v1/auth/me")
    keys = cache.keys("throttle:user:*")
    assert len(keys) == 1
    assert cache.get(keys[0]) == 2

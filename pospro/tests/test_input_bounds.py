"""Hostile JSON bodies are a 400 `parse_error`, never a 500, even before authentication."""

import json

import pytest

from pospro.api.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'


@pytest.mark.parametrize("depth", [100_000, 5_000, 900])
def test_deeply_nested_json_to_login_is_a_400_anonymously(api, depth):
    response = api.post("/api/v1/auth/login", _nested(depth), content_type="application/json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "parse_error"
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in response.json()["detail"]


def test_deeply_nested_json_to_an_order_is_a_400(cashier_api):
    items = "[" * 2_000 + "]" * 2_000
    body = f'{{"items": [{{"product_id": {items}}}], "payments": []}}'
    response = cashier_api.post("/api/v1/orders", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"


def test_nesting_up_to_the_limit_is_parsed(api):
    # Parsed, then refused by the login serializer as a field error: not a parse error.
    response = api.post(
        "/api/v1/auth/login", _nested(MAX_JSON_DEPTH - 1), content_type="application/json"
    )
    assert response.status_code in (400, 401), response.content
    assert response.json()["code"] != "parse_error"


def test_a_huge_integer_literal_is_a_400(api):
    body = json.dumps({"email": "a@b.c", "password": "x"})[:-1] + ', "n": ' + "9" * 5000 + "}"
    response = api.post("/api/v1/auth/login", body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "parse_error"

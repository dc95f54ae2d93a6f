"""The OpenAPI schema (/docs) describes each orders operation with its own text."""

import pytest

pytestmark = pytest.mark.django_db


def test_each_orders_operation_has_its_own_description(api):
    response = api.get("/api/v1/schema?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    listed = paths["/api/v1/orders/"]["get"]["description"]
    created = paths["/api/v1/orders/"]["post"]["description"]
    refunded = paths["/api/v1/orders/{id}/refund/"]["post"]["description"]
    assert listed.startswith("Orders of the caller's branch")
    assert created.startswith("Prices the cart from the catalog, takes the stock")
    assert "Idempotency-Key" in created
    assert refunded.startswith("Gives back some or all of the named lines")
    assert len({listed, created, refunded}) == 3

"""Catalog input is bounded to its columns' ranges (400, never a wrapped value or a 500)."""

import pytest

from catalog.models import Product, StockLevel
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock

pytestmark = pytest.mark.django_db

INT_MAX = 2**31 - 1


def _field_errors(response) -> set[str]:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "validation_error"
    return {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize("value", [2**31, 4294967301, 2**63])
def test_critical_stock_level_past_32_bits_is_refused_not_wrapped(admin_api, value):
    product = ProductFactory(critical_stock_level=5)
    response = admin_api.patch(
        f"/api/v1/products/{product.pk}", {"critical_stock_level": value}, format="json"
    )
    assert _field_errors(response) == {"critical_stock_level"}
    product.refresh_from_db()
    assert product.critical_stock_level == 5


def test_critical_stock_level_at_the_column_maximum_is_stored(admin_api):
    product = ProductFactory()
    response = admin_api.patch(
        f"/api/v1/products/{product.pk}", {"critical_stock_level": INT_MAX}, format="json"
    )
    assert response.status_code == 200, response.content
    product.refresh_from_db()
    assert product.critical_stock_level == INT_MAX


def test_initial_stock_of_2_31_is_refused(manager_api):
    body = {"name": "Big", "price": "1.00", "stock": 2**31}
    assert _field_errors(manager_api.post("/api/v1/products", body, format="json")) == {"stock"}
    assert not Product.objects.filter(name="Big").exists()


@pytest.mark.parametrize(
    "body",
    [
        {"quantity": 2**31, "reason": "adjustment"},
        {"quantity": -(2**31) - 1, "reason": "adjustment"},
        {"new_stock": 2**31, "reason": "stock_count"},
    ],
)
def test_stock_change_past_32_bits_is_refused(manager_api, branch, body):
    product = ProductFactory()
    give_stock(product, branch, 10)
    response = manager_api.patch(f"/api/v1/products/{product.pk}/stock", body, format="json")
    assert _field_errors(response) == set(body) - {"reason"}
    assert StockLevel.objects.get(product=product, branch=branch).quantity == 10


def test_stock_level_that_would_pass_the_column_maximum_is_refused(manager_api, branch):
    product = ProductFactory()
    give_stock(product, branch, INT_MAX - 5)
    response = manager_api.patch(
        f"/api/v1/products/{product.pk}/stock",
        {"quantity": 10, "reason": "stock_purchase"},
        format="json",
    )
    assert _field_errors(response) == {"quantity"}
    assert str(INT_MAX) in response.json()["detail"]
    assert StockLevel.objects.get(product=product, branch=branch).quantity == INT_MAX - 5

    # Up to the maximum itself is fine.
    response = manager_api.patch(
        f"/api/v1/products/{product.pk}/stock",
        {"quantity": 5, "reason": "stock_purchase"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["new_stock"] == INT_MAX


def test_transfer_that_would_pass_the_column_maximum_is_refused(manager_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 10)
    give_stock(product, other_branch, INT_MAX)
    body = {
        "product_id": str(product.pk),
        "from_branch_id": str(branch.pk),
        "to_branch_id": str(other_branch.pk),
        "quantity": 1,
    }
    response = manager_api.post("/api/v1/stock/transfers", body, format="json")
    assert _field_errors(response) == {"quantity"}
    assert StockLevel.objects.get(product=product, branch=branch).quantity == 10
    assert StockLevel.objects.get(product=product, branch=other_branch).quantity == INT_MAX


def test_transfer_and_low_stock_threshold_past_32_bits_are_refused(
    manager_api, branch, other_branch
):
    product = ProductFactory()
    body = {
        "product_id": str(product.pk),
        "from_branch_id": str(branch.pk),
        "to_branch_id": str(other_branch.pk),
        "quantity": 2**31,
    }
    response = manager_api.post("/api/v1/stock/transfers", body, format="json")
    assert _field_errors(response) == {"quantity"}
    response = manager_api.get(f"/api/v1/products/low-stock?threshold={2**31}")
    assert _field_errors(response) == {"threshold"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/products",
        "/api/v1/products/low-stock",
        "/api/v1/categories",
        "/api/v1/products/{id}/movements",
    ],
)
def test_skip_past_the_limit_is_a_400_on_every_catalog_list(admin_api, path):
    product = ProductFactory()
    path = path.format(id=product.pk)
    response = admin_api.get(f"{path}?skip=9223372036854775808")
    assert _field_errors(response) == {"skip"}
    response = admin_api.get(f"{path}?skip={INT_MAX}")
    assert response.status_code == 200, response.content
    assert response.json()["items"] == []


def test_barcode_with_a_nul_byte_is_a_404_not_a_500(cashier_api):
    response = cashier_api.get("/api/v1/products/barcode/abc%00")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("param", ["search", "category", "barcode"])
def test_nul_bytes_in_product_filters_are_a_400(cashier_api, param):
    response = cashier_api.get(f"/api/v1/products?{param}=a%00b")
    assert _field_errors(response) == {param}


def test_nul_bytes_in_a_product_body_are_a_400(manager_api):
    body = {"name": "a\x00b", "price": "1.00", "barcode": "12\x0034"}
    response = manager_api.post("/api/v1/products", body, format="json")
    assert _field_errors(response) == {"name", "barcode"}

"""Categories through the HTTP API: `{id, name, product_count}`, everyone reads, managers write."""

import pytest

from accounts.tests.test_auth_api import assert_problem
from catalog.models import Category, Product
from catalog.tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/categories"


def test_everyone_reads_categories_with_active_product_counts(cashier_api, manager_api, admin_api):
    drinks = CategoryFactory(name="drinks")
    CategoryFactory(name="Bakery")
    ProductFactory.create_batch(2, category=drinks)
    ProductFactory(category=drinks, is_active=False)
    for client in (cashier_api, manager_api, admin_api):
        body = client.get(URL).json()
        assert body["total"] == 2
        assert [(c["name"], c["product_count"]) for c in body["items"]] == [
            ("Bakery", 0),
            ("drinks", 2),
        ], "ordered by name, case-insensitively"
        assert set(body["items"][0]) == {"id", "name", "product_count"}
    detail = cashier_api.get(f"{URL}/{drinks.pk}").json()
    assert detail == {"id": str(drinks.pk), "name": "drinks", "product_count": 2}


def test_list_queries(cashier_api, django_assert_num_queries):
    for category in CategoryFactory.create_batch(10):
        ProductFactory(category=category)
    with django_assert_num_queries(3):  # user, count, page with counts
        assert len(cashier_api.get(f"{URL}?limit=50").json()["items"]) == 10


@pytest.mark.parametrize("query", ["limit=0", "skip=-1"])
def test_pagination_bounds(cashier_api, query):
    assert_problem(cashier_api.get(f"{URL}?{query}"), 400, "validation_error")


def test_manager_creates_renames_and_deletes(manager_api):
    created = manager_api.post(URL, {"name": " Snacks "}, format="json")
    assert created.status_code == 201
    assert created.json()["name"] == "Snacks"
    assert created.json()["product_count"] == 0
    category_id = created.json()["id"]
    renamed = manager_api.patch(f"{URL}/{category_id}/", {"name": "Savoury snacks"}, format="json")
    assert renamed.json()["name"] == "Savoury snacks"
    put = manager_api.put(f"{URL}/{category_id}", {"name": "Crisps"}, format="json")
    assert put.json()["name"] == "Crisps"
    assert manager_api.delete(f"{URL}/{category_id}").status_code == 204
    assert not Category.objects.exists()


def test_names_are_unique_case_insensitively(admin_api):
    CategoryFactory(name="Drinks")
    other = CategoryFactory(name="Food")
    body = assert_problem(admin_api.post(URL, {"name": "DRINKS"}, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert body["errors"][0]["field"] == "name"
    rename = admin_api.patch(f"{URL}/{other.pk}", {"name": "drinks"}, format="json")
    assert_problem(rename, 400, "validation_error")
    recase = admin_api.patch(f"{URL}/{other.pk}", {"name": "FOOD"}, format="json")
    assert recase.json()["name"] == "FOOD", "changing one's own case is fine"


def test_blank_name_is_400(admin_api):
    body = assert_problem(admin_api.post(URL, {"name": "  "}, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert body["errors"][0]["field"] == "name"


def test_rename_shows_in_products_and_moves_their_updated_at(
    manager_api, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="Drinks")
    product = ProductFactory(category=category)
    before = manager_api.get(f"/api/v1/products/{product.pk}").json()
    assert before["category"] == "Drinks"
    with django_capture_on_commit_callbacks(execute=True):
        manager_api.patch(f"{URL}/{category.pk}", {"name": "Beverages"}, format="json")
    after = manager_api.get(f"/api/v1/products/{product.pk}").json()
    assert after["category"] == "Beverages"
    assert after["updated_at"] > before["updated_at"]
    listed = manager_api.get("/api/v1/products", {"updated_since": before["updated_at"]}).json()
    assert [item["id"] for item in listed["items"]] == [str(product.pk)]


def test_category_with_products_cannot_be_deleted(manager_api):
    category = CategoryFactory()
    ProductFactory(category=category, is_active=False)
    body = assert_problem(manager_api.delete(f"{URL}/{category.pk}"), 409, "conflict")
    assert "1 product" in body["detail"]
    assert Category.objects.filter(pk=category.pk).exists()
    Product.objects.update(category=None)
    assert manager_api.delete(f"{URL}/{category.pk}").status_code == 204


def test_cashier_reads_but_cannot_write(cashier_api):
    category = CategoryFactory()
    assert cashier_api.get(f"{URL}/{category.pk}").status_code == 200
    assert_problem(cashier_api.post(URL, {"name": "X"}, format="json"), 403, "permission_denied")
    assert_problem(
        cashier_api.patch(f"{URL}/{category.pk}", {"name": "X"}, format="json"), 403,
        "permission_denied",
    )  # fmt: skip
    assert_problem(cashier_api.delete(f"{URL}/{category.pk}"), 403, "permission_denied")


def test_unknown_category_is_404(admin_api):
    unknown = "6f1c1c1e-0000-4000-8000-000000000000"
    assert_problem(admin_api.get(f"{URL}/{unknown}"), 404, "not_found")
    assert_problem(admin_api.delete(f"{URL}/{unknown}"), 404, "not_found")

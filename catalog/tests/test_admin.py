"""The catalog back-office with Django's test client and a logged-in superuser."""

from decimal import Decimal

import pytest
from django.test import Client

from catalog.models import Category, Product, StockMovement
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.stock import give_stock, ledger_sum, level

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def adjust_url(product) -> str:
    return f"/admin/catalog/product/{product.pk}/adjust-stock/"


def test_product_changelist_searches_and_filters(site):
    ProductFactory(name="Turkish Coffee", barcode="8690001")
    ProductFactory(name="Green Tea", barcode="8690002", is_active=False)
    response = site.get("/admin/catalog/product/")
    assert response.status_code == 200
    assert b"Turkish Coffee" in response.content
    found = site.get("/admin/catalog/product/", {"q": "8690002"})
    assert b"Green Tea" in found.content
    assert b"Turkish Coffee" not in found.content
    active = site.get("/admin/catalog/product/", {"is_active__exact": "1"})
    assert b"Green Tea" not in active.content


@pytest.mark.parametrize("count", [1, 30])
def test_changelist_runs_constant_queries(site, django_assert_num_queries, count):
    ProductFactory.create_batch(count)
    # session, user, two counts, the page with categories, the category filter's choices
    with django_assert_num_queries(6):
        assert site.get("/admin/catalog/product/").status_code == 200


def test_change_page_shows_stock_per_branch_read_only(site, branch, other_branch):
    product = ProductFactory(name="Cola")
    give_stock(product, branch, 7)
    give_stock(product, other_branch, 3)
    response = site.get(f"/admin/catalog/product/{product.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "IST-01" in content
    assert "ANK-01" in content
    assert "Adjust stock" in content
    assert 'name="stock_levels-0-quantity"' not in content, "stock is not editable inline"


def test_editing_a_product_in_the_admin_shows_in_the_api(
    site, manager_api, django_capture_on_commit_callbacks
):
    category = CategoryFactory(name="Drinks")
    product = ProductFactory(name="Cola", category=category, price=Decimal("10.00"))
    assert manager_api.get(f"/api/v1/products/{product.pk}").json()["price"] == 10.0
    form = {
        "name": "Cola",
        "barcode": product.barcode,
        "sku": "",
        "category": str(category.pk),
        "price": "12.50",
        "cost_price": "6.00",
        "vat_rate": "0.1800",
        "critical_stock_level": "5",
        "image_url": "",
        "is_active": "on",
        "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = site.post(f"/admin/catalog/product/{product.pk}/change/", form)
    assert response.status_code == 302, response.content
    product.refresh_from_db()
    assert (product.price, product.sku) == (Decimal("12.50"), None), "blank sku stored as NULL"
    assert manager_api.get(f"/api/v1/products/{product.pk}").json()["price"] == 12.5


def test_admin_refuses_a_vat_rate_of_one(site):
    product = ProductFactory()
    form = {
        "name": "X", "price": "1.00", "cost_price": "0", "vat_rate": "1.0000",
        "critical_stock_level": "0", "stock_levels-TOTAL_FORMS": "0",
        "stock_levels-INITIAL_FORMS": "0",
    }  # fmt: skip
    response = site.post(f"/admin/catalog/product/{product.pk}/change/", form)
    assert response.status_code == 200
    product.refresh_from_db()
    assert product.vat_rate == Decimal("0.1800")


def test_products_are_deactivated_not_deleted(site):
    product = ProductFactory()
    assert site.get(f"/admin/catalog/product/{product.pk}/delete/").status_code == 403
    response = site.post(
        "/admin/catalog/product/",
        {"action": "deactivate", "_selected_action": [str(product.pk)]},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.is_active is False


def test_adjust_stock_form_leaves_a_movement_with_the_admin_user(site, admin_user, branch):
    product = ProductFactory()
    give_stock(product, branch, 2)
    assert site.get(adjust_url(product)).status_code == 200
    response = site.post(
        adjust_url(product),
        {"branch": str(branch.pk), "quantity": "5", "reason": "stock_purchase", "note": "PO-9"},
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"/admin/catalog/product/{product.pk}/change/")
    movement = StockMovement.objects.get(reason="stock_purchase", note="PO-9")
    assert (movement.quantity, movement.balance_after, movement.user) == (5, 7, admin_user)
    assert level(product, branch) == 7 == ledger_sum(product, branch)

    count = site.post(
        adjust_url(product), {"branch": str(branch.pk), "new_stock": "4", "reason": "stock_count"}
    )
    assert count.status_code == 302
    assert level(product, branch) == 4 == ledger_sum(product, branch)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"quantity": "-9", "reason": "damage"}, "Not enough stock"),
        ({"quantity": "1", "new_stock": "3", "reason": "adjustment"}, "exactly one"),
        ({"reason": "adjustment"}, "exactly one"),
        ({"quantity": "0", "reason": "adjustment"}, "Must not be 0"),
        ({"quantity": "1", "reason": "sale"}, "not one of the available choices"),
    ],
)
def test_adjust_stock_form_errors_write_nothing(site, branch, form, message):
    product = ProductFactory()
    give_stock(product, branch, 2)
    response = site.post(adjust_url(product), {"branch": str(branch.pk), **form})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert level(product, branch) == 2
    assert StockMovement.objects.count() == 1


def test_ledger_is_read_only(site, branch):
    product = ProductFactory(name="Cola")
    give_stock(product, branch, 2)
    movement = StockMovement.objects.get()
    listing = site.get("/admin/catalog/stockmovement/")
    assert listing.status_code == 200
    assert b"Cola" in listing.content
    assert site.get("/admin/catalog/stockmovement/add/").status_code == 403
    view = site.get(f"/admin/catalog/stockmovement/{movement.pk}/change/")
    assert view.status_code == 200
    assert b'name="_save"' not in view.content
    assert site.post(f"/admin/catalog/stockmovement/{movement.pk}/change/", {}).status_code == 403
    assert site.get(f"/admin/catalog/stockmovement/{movement.pk}/delete/").status_code == 403
    assert StockMovement.objects.count() == 1


def test_category_admin_rename_goes_through_the_service(site):
    category = CategoryFactory(name="Drinks")
    product = ProductFactory(category=category)
    before = product.updated_at
    assert site.get("/admin/catalog/category/").status_code == 200
    response = site.post(f"/admin/catalog/category/{category.pk}/change/", {"name": "Beverages"})
    assert response.status_code == 302
    assert Category.objects.get().name == "Beverages"
    assert Product.objects.get().updated_at > before

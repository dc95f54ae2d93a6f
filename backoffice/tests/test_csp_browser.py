"""The admin, /docs and /redoc still work in a real browser under the Content-Security-Policy:
each page does its job (the admin's scripts, Swagger UI and Redoc render) with no console error,
so with no CSP violation. And a manager meets the back-office's scoping as a person would."""

from decimal import Decimal

import pytest

from accounts.tests.factories import PASSWORD
from backoffice.services import managers_group_sync
from backoffice.tests.browser import OUT, chromium_browser, log_in, watch_errors
from catalog.tests.stock import give_stock
from sales import services
from sales.tests.helpers import stocked_product

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def page(chromium):
    OUT.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    yield page
    page.close()


@pytest.fixture
def shop(branch, other_branch, cashier, other_cashier):
    products = [
        stocked_product(branch, name=f"Tea {n}", price=Decimal("10.00"), vat_rate=Decimal("0.01"))
        for n in range(3)
    ]
    give_stock(products[0], other_branch, 10)
    orders = {}
    for who, product in ((cashier, products[0]), (other_cashier, products[0])):
        total = (product.price * (1 + product.vat_rate)).quantize(Decimal("0.01"))
        orders[who.branch.code] = services.order_create(
            actor=who,
            items=[services.ItemRequest(product_id=product.pk, quantity=1)],
            payments=[services.PaymentRequest(method="card", amount=total)],
        )
    return {"products": products, "orders": orders}


def test_admin_logs_in_and_works_a_changelist_under_the_csp(page, live_server, admin_user, shop):
    errors = watch_errors(page)
    log_in(page, live_server.url, admin_user.email, PASSWORD)
    assert page.locator("#site-name").inner_text() == "PosPro back-office"
    page.goto(f"{live_server.url}/admin/catalog/product/")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 3
    assert page.locator("#result_list td.field-vat").first.inner_text() == "1%"
    # The admin's own JavaScript runs: "select all" ticks every row and counts them.
    page.click("#action-toggle")
    assert page.locator("input.action-select:checked").count() == 3
    assert "3 of 3 selected" in page.locator(".action-counter").inner_text()
    assert page.locator("select[name=action] option[value=deactivate]").count() == 1
    page.screenshot(path=str(OUT / "admin-products-csp.png"), full_page=True)
    page.goto(f"{live_server.url}/admin/sales/order/")
    assert page.locator("#result_list tbody tr").count() == 2
    assert errors == []


def test_a_manager_meets_scoping_and_admin_error_pages(page, live_server, manager, shop):
    managers_group_sync()
    errors = watch_errors(page)
    log_in(page, live_server.url, manager.email, PASSWORD)
    page.goto(f"{live_server.url}/admin/sales/order/")
    assert page.locator("#result_list tbody tr").count() == 1
    assert page.locator("select[name=action]").count() == 0  # view only: no actions
    filters = page.locator("#changelist-filter").inner_text()
    assert "ANK-01" not in filters
    page.screenshot(path=str(OUT / "admin-orders-manager.png"), full_page=True)

    product = shop["products"][0]
    page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/change/")
    assert page.locator("text=Adjust stock").count() == 0
    assert page.locator("#stock_levels-group td.field-label").all_inner_texts() == [
        f"{product.name} @ IST-01"
    ]
    page.screenshot(path=str(OUT / "admin-product-manager.png"), full_page=True)

    other = shop["orders"]["ANK-01"]
    response = page.goto(f"{live_server.url}/admin/sales/order/{other.pk}/change/")
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    assert page.locator("#site-name").inner_text() == "PosPro back-office"
    assert page.locator("#error-message").is_visible()
    page.screenshot(path=str(OUT / "admin-404-manager.png"), full_page=True)
    response = page.goto(f"{live_server.url}/admin/catalog/product/{product.pk}/adjust-stock/")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "Permission denied"
    page.screenshot(path=str(OUT / "admin-403-manager.png"), full_page=True)
    assert errors == [
        f"404 {live_server.url}/admin/sales/order/{other.pk}/change/",
        f"403 {live_server.url}/admin/catalog/product/{product.pk}/adjust-stock/",
    ]


def test_swagger_ui_renders_the_operations_under_the_csp(page, live_server):
    errors = watch_errors(page)
    response = page.goto(f"{live_server.url}/docs")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock", timeout=30_000)
    assert page.locator(".opblock").count() > 20
    assert page.locator(".opblock-summary-path", has_text="/api/v1/orders").count() >= 1
    page.screenshot(path=str(OUT / "docs-swagger-csp.png"))
    assert errors == []


def test_redoc_renders_the_operations_under_the_csp(page, live_server):
    errors = watch_errors(page)
    response = page.goto(f"{live_server.url}/redoc")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("[data-section-id^='operation/']", timeout=30_000)
    assert page.locator("[data-section-id^='operation/']").count() > 20
    page.screenshot(path=str(OUT / "docs-redoc-csp.png"))
    # Redoc's sidebar always asks its CDN for the Redocly logo; the policy blocks it on purpose
    # (the docs load nothing from outside, they work offline). Nothing else is blocked.
    logo = "https://cdn.redoc.ly/redoc/logo-mini.svg"
    assert [e for e in errors if logo not in e] == []

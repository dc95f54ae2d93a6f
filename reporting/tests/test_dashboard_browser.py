"""The back-office in a real browser: Debian's Chromium driven by Playwright against the live
server, on seed_demo data (backoffice.tests.browser). Screenshots land in test-output/ (look at
them). The pages run under the Content-Security-Policy: any console error (a CSP violation is
one) fails the test.
"""

from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.models import User
from backoffice.tests.browser import OUT, chromium_browser, watch_errors
from catalog.models import StockLevel
from pospro.clock import business_today
from reporting import selectors
from sales import services

PASSWORD = "PosPro-Demo-2025!"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def demo(live_server):
    """seed_demo's shop, plus three sales made just now so today has figures at any hour."""
    call_command("seed_demo", days=21, products=80, orders_per_day=90, verbosity=0)
    cashier = User.objects.get(email="cashier@pospro.local")
    levels = StockLevel.objects.filter(branch=cashier.branch, quantity__gte=5).select_related(
        "product"
    )
    for level in levels.order_by("product__name")[:3]:
        product = level.product
        total = (product.price * 2 * (1 + product.vat_rate)).quantize(Decimal("0.01"))
        services.order_create(
            actor=cashier,
            items=[services.ItemRequest(product_id=product.pk, quantity=2)],
            payments=[services.PaymentRequest(method="cash", amount=total + 50)],
        )
    return cashier.branch


def log_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def money(value) -> str:
    return f"{value:,.2f}"


def test_manager_opens_the_dashboard_from_the_admin(chromium, live_server, demo):
    OUT.mkdir(exist_ok=True)
    today = business_today()
    expected = selectors.sales_total(start=today, end=today, branch_id=demo.pk)
    assert expected.orders >= 3
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    errors = watch_errors(page)
    try:
        log_in(page, live_server.url, "manager@pospro.local")
        # The admin index: the dashboard link, and the models a manager may view.
        assert page.locator("#pospro-sales-link").inner_text() == "Sales dashboard"
        assert page.locator("a", has_text="Orders").count() >= 1
        page.screenshot(path=str(OUT / "admin-index-manager.png"), full_page=True)
        page.click("#pospro-sales-link")
        page.wait_for_url(f"{live_server.url}/admin/dashboard/")

        assert page.locator("#dash-scope").inner_text() == f"{demo.code} {demo.name}"
        assert page.locator("#dash-branch").count() == 0  # no branch picker for managers
        assert page.locator("#kpi-today-orders").inner_text() == str(expected.orders)
        assert page.locator("#kpi-today-revenue").inner_text() == money(expected.revenue)
        assert page.locator("#kpi-today-basket").inner_text() == money(expected.average_order_value)
        assert page.locator("svg.chart").count() == 3
        trend = page.locator("#dash-trend svg.chart")
        assert trend.locator("circle").count() == 30
        assert trend.bounding_box()["width"] > 900  # readable on a laptop screen
        assert page.locator("#dash-top svg.chart rect").count() == 10
        assert page.locator("#dash-branches tbody tr").count() == 1
        assert page.locator("#dash-low-stock").is_visible()
        page.screenshot(path=str(OUT / "dashboard-manager.png"), full_page=True)
        other = "00000000-0000-4000-8000-000000000000"
        refused = page.goto(f"{live_server.url}/admin/dashboard/?branch={other}")
        assert refused.status == 403
        assert refused.headers["content-type"].startswith("text/html"), "an admin page, not JSON"
        assert page.locator("h1").inner_text() == "Permission denied"
    finally:
        page.close()
    assert errors == [f"403 {live_server.url}/admin/dashboard/?branch={other}"]


def test_admin_filters_the_dashboard_by_branch(chromium, live_server, demo):
    OUT.mkdir(exist_ok=True)
    requests = []
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    page.on("request", lambda request: requests.append(request.url))
    errors = watch_errors(page)
    try:
        log_in(page, live_server.url, "admin@pospro.local")
        page.goto(f"{live_server.url}/admin/dashboard/")
        assert page.locator("#dash-scope").inner_text() == "All branches"
        assert page.locator("#dash-branches tbody tr").count() == 5  # 4 branches + total
        page.select_option("#dash-branch", label="ANK-01 Ankara Cankaya")
        page.wait_for_url("**/admin/dashboard/?branch=*")
        assert page.locator("#dash-scope").inner_text() == "ANK-01 Ankara Cankaya"
        assert page.locator("#dash-branches tbody tr").count() == 1
        assert page.locator("svg.chart").count() == 3
        page.screenshot(path=str(OUT / "dashboard-admin-ank.png"), full_page=True)
    finally:
        page.close()
    assert requests
    assert all(url.startswith(live_server.url) for url in requests), requests
    assert errors == [], "the branch picker's script runs under the CSP"

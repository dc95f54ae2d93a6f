"""The Cash page in a real browser (Chromium via Playwright, backoffice.tests.browser) on
seed_demo data: reached from the sales dashboard, scoped, charted, under the CSP; and a closed
session's printable Z report. Screenshots land in test-output/."""

import pytest
from django.core.management import call_command
from django.db.models import Q

from backoffice.tests.browser import OUT, chromium_browser, log_in, watch_errors
from pospro.clock import business_today
from sales.models import CashSession

PASSWORD = "PosPro-Demo-2025!"

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(scope="module")
def chromium():
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def demo(live_server):
    call_command("seed_demo", days=8, products=40, orders_per_day=60, verbosity=0)


def test_manager_opens_the_cash_page_and_prints_a_z_report(chromium, live_server, demo):
    from accounts.models import User

    OUT.mkdir(exist_ok=True)
    manager = User.objects.get(email="manager@pospro.local")
    today = business_today()
    shown = CashSession.objects.filter(
        Q(business_date=today) | Q(status="open"), branch=manager.branch
    ).count()
    closed = (
        CashSession.objects.filter(branch=manager.branch, status="closed")
        .order_by("-closed_at")
        .first()
    )
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    errors = watch_errors(page)
    try:
        log_in(page, live_server.url, "manager@pospro.local", PASSWORD)
        page.goto(f"{live_server.url}/admin/dashboard/")
        page.click("#dash-cash-link")
        page.wait_for_url(f"{live_server.url}/admin/dashboard/cash/")
        branch = manager.branch
        assert page.locator("#dash-scope").inner_text() == f"{branch.code} {branch.name}"
        assert page.locator("#dash-branch").count() == 0
        assert page.locator("#cash-today tbody tr").count() == shown
        chart = page.locator("#cash-chart svg.chart")
        assert chart.count() == 1
        assert chart.locator("rect").count() == page.locator("#cash-cashiers tbody tr").count() > 0
        assert chart.bounding_box()["width"] > 500
        page.screenshot(path=str(OUT / "cash-dashboard-manager.png"), full_page=True)

        page.goto(f"{live_server.url}/admin/sales/cashsession/{closed.pk}/change/")
        page.click("#print-z-report")
        page.wait_for_url(f"**/admin/sales/cashsession/{closed.pk}/z-report/")
        assert page.locator("#z-title").inner_text() == f"Z report {closed.z_number}"
        assert page.locator("#z-over-short").inner_text() == f"{closed.over_short:,.2f}"
        assert page.locator("#header").count() == 0  # no admin chrome
        page.emulate_media(media="print")
        assert not page.locator("#print-button").is_visible()
        page.screenshot(path=str(OUT / "z-report-print.png"), full_page=True)
    finally:
        page.close()
    assert errors == [], "the pages run under the CSP without errors"


def test_admin_filters_the_cash_page(chromium, live_server, demo):
    page = chromium.new_page(viewport={"width": 1440, "height": 900})
    errors = watch_errors(page)
    try:
        log_in(page, live_server.url, "admin@pospro.local", PASSWORD)
        page.goto(f"{live_server.url}/admin/dashboard/cash/")
        assert page.locator("#dash-scope").inner_text() == "All branches"
        page.select_option("#dash-branch", label="ANK-01 Ankara Cankaya")
        page.wait_for_url("**/admin/dashboard/cash/?branch=*")
        assert page.locator("#dash-scope").inner_text() == "ANK-01 Ankara Cankaya"
        page.screenshot(path=str(OUT / "cash-dashboard-admin-ank.png"), full_page=True)
    finally:
        page.close()
    assert errors == []

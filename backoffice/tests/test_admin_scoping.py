"""The back-office scopes like the API: actions need the permission of their change, rows and
filters are the user's branch's, errors are admin pages, times are the business's."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from freezegun import freeze_time

from backoffice.services import managers_group_sync
from catalog.models import Product, StockMovement
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock
from sales import services
from sales.tests.helpers import stocked_product

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_site(manager) -> Client:
    """A manager with the Managers group's view-only permissions, logged into the admin."""
    managers_group_sync()
    return browser(manager)


@pytest.fixture
def admin_site(admin_user) -> Client:
    return browser(admin_user)


def sell(cashier, product, quantity=1):
    total = (product.price * quantity * (1 + product.vat_rate)).quantize(Decimal("0.01"))
    return services.order_create(
        actor=cashier,
        items=[services.ItemRequest(product_id=product.pk, quantity=quantity)],
        payments=[services.PaymentRequest(method="card", amount=total)],
    )


def assert_admin_page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
    html = response.content.decode()
    assert "PosPro back-office" in html, "the admin's own layout"
    return html


# --- actions ----------------------------------------------------------------------------------


def test_a_view_only_manager_gets_no_deactivate_action(manager_site, admin_site):
    product = ProductFactory(name="Cola")
    page = manager_site.get("/admin/catalog/product/")
    assert page.status_code == 200
    assert b"Cola" in page.content
    assert b'value="deactivate"' not in page.content
    forged = manager_site.post(
        "/admin/catalog/product/", {"action": "deactivate", "_selected_action": [str(product.pk)]}
    )
    assert forged.status_code in (200, 302, 403)
    product.refresh_from_db()
    assert product.is_active is True, "a forged POST of the action changes nothing"

    assert b'value="deactivate"' in admin_site.get("/admin/catalog/product/").content


def test_every_action_declares_the_permission_of_its_change():
    from django.contrib import admin

    for model_admin in admin.site._registry.values():
        for action in model_admin.actions or []:
            function = getattr(model_admin, action) if isinstance(action, str) else action
            assert getattr(function, "allowed_permissions", None), (model_admin, action)


# --- rows in scope ----------------------------------------------------------------------------


def test_a_manager_lists_and_opens_only_their_branch_movements(
    manager_site, admin_site, branch, other_branch
):
    product = ProductFactory(name="Cola")
    give_stock(product, branch, 7)
    give_stock(product, other_branch, 3)
    own = StockMovement.objects.get(branch=branch)
    other = StockMovement.objects.get(branch=other_branch)

    listing = manager_site.get("/admin/catalog/stockmovement/").content.decode()
    assert f"/admin/catalog/stockmovement/{own.pk}/change/" in listing
    assert f"/admin/catalog/stockmovement/{other.pk}/change/" not in listing
    page = manager_site.get(f"/admin/catalog/stockmovement/{own.pk}/change/")
    assert "Cola @ IST-01" in assert_admin_page(page, 200)
    assert_admin_page(manager_site.get(f"/admin/catalog/stockmovement/{other.pk}/change/"), 404)
    assert_admin_page(manager_site.get(f"/admin/catalog/stockmovement/{other.pk}/history/"), 404)

    everything = admin_site.get("/admin/catalog/stockmovement/").content.decode()
    assert f"/admin/catalog/stockmovement/{other.pk}/change/" in everything
    assert admin_site.get(f"/admin/catalog/stockmovement/{other.pk}/change/").status_code == 200


def test_a_manager_lists_and_opens_only_their_branch_orders(
    manager_site, admin_site, branch, other_branch, cashier, other_cashier
):
    product = stocked_product(branch, name="Tea")
    give_stock(product, other_branch, 10)
    own = sell(cashier, product)
    other = sell(other_cashier, product)

    listing = manager_site.get("/admin/sales/order/").content.decode()
    assert own.order_number in listing
    assert other.order_number not in listing
    assert_admin_page(manager_site.get(f"/admin/sales/order/{own.pk}/change/"), 200)
    html = assert_admin_page(manager_site.get(f"/admin/sales/order/{other.pk}/change/"), 404)
    assert other.order_number not in html
    assert admin_site.get(f"/admin/sales/order/{other.pk}/change/").status_code == 200


def test_stock_rows_are_the_managers_branch_and_named_for_people(
    manager_site, admin_site, branch, other_branch
):
    product = ProductFactory(name="Cola")
    give_stock(product, branch, 7)
    give_stock(product, other_branch, 3)
    html = manager_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "Cola @ IST-01" in html
    assert "ANK-01" not in html
    assert "@" + str(branch.pk) not in html, "no uuid@uuid labels"
    everything = admin_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "Cola @ IST-01" in everything
    assert "Cola @ ANK-01" in everything


def test_user_pages_are_scoped_for_a_manager_allowed_to_view_users(
    manager, branch, other_branch, cashier, other_cashier
):
    manager.user_permissions.add(Permission.objects.get(codename="view_user"))
    client = browser(manager)
    listing = client.get("/admin/accounts/user/").content.decode()
    assert cashier.email in listing
    assert other_cashier.email not in listing
    assert client.get(f"/admin/accounts/user/{other_cashier.pk}/change/").status_code == 404


# --- filters ----------------------------------------------------------------------------------


def test_a_managers_filters_offer_only_their_branch_and_cashiers(
    manager_site, admin_site, branch, other_branch, cashier, other_cashier
):
    product = stocked_product(branch, name="Tea")
    give_stock(product, other_branch, 10)
    sell(cashier, product)
    sell(other_cashier, product)

    html = manager_site.get("/admin/sales/order/").content.decode()
    assert f"cashier__id__exact={cashier.pk}" in html
    assert f"cashier__id__exact={other_cashier.pk}" not in html
    assert f"branch__id__exact={other_branch.pk}" not in html
    assert "ANK-01" not in html
    movements = manager_site.get("/admin/catalog/stockmovement/").content.decode()
    assert f"branch__id__exact={other_branch.pk}" not in movements

    everything = admin_site.get("/admin/sales/order/").content.decode()
    assert f"cashier__id__exact={other_cashier.pk}" in everything
    assert f"branch__id__exact={other_branch.pk}" in everything


# --- stock adjustment and error pages ---------------------------------------------------------


def test_adjust_stock_is_offered_only_to_those_who_may_and_refused_as_an_admin_page(
    manager_site, admin_site, branch
):
    product = ProductFactory()
    give_stock(product, branch, 2)
    page = manager_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "Adjust stock" not in page
    adjust = f"/admin/catalog/product/{product.pk}/adjust-stock/"
    assert_admin_page(manager_site.get(adjust), 403)
    refused = manager_site.post(adjust, {"branch": str(branch.pk), "quantity": "5"})
    assert_admin_page(refused, 403)
    assert StockMovement.objects.count() == 1
    assert (
        "Adjust stock"
        in admin_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    )


def test_admin_and_dashboard_errors_are_html_and_the_api_keeps_problem_json(
    manager_site, other_branch, manager_api
):
    assert_admin_page(manager_site.get(f"/admin/dashboard/?branch={other_branch.pk}"), 403)
    assert_admin_page(manager_site.get("/admin/no-such-page/"), 404)
    assert_admin_page(manager_site.get("/admin/accounts/user/"), 403)
    api = manager_api.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert api["Content-Type"].startswith("application/problem+json")


# --- how it reads -----------------------------------------------------------------------------


def test_times_are_the_business_time_zone(admin_site, branch, cashier, settings):
    assert settings.POSPRO_TIME_ZONE == "Europe/Istanbul"
    product = stocked_product(branch, name="Tea")
    with freeze_time(datetime(2026, 1, 4, 21, 30, tzinfo=UTC)):
        order = sell(cashier, product)
    html = admin_site.get("/admin/sales/order/").content.decode()
    assert "2026-01-05 00:30" in html
    assert "21:30" not in html
    movements = admin_site.get("/admin/catalog/stockmovement/").content.decode()
    assert "2026-01-05 00:30" in movements
    page = admin_site.get(f"/admin/sales/order/{order.pk}/change/").content.decode()
    assert "12:30 a.m." in page, "read-only dates in the local zone too"


def test_the_api_keeps_utc(manager_api, branch, cashier):
    product = stocked_product(branch, name="Tea")
    with freeze_time(datetime(2026, 1, 4, 21, 30, tzinfo=UTC)):
        order = sell(cashier, product)
    assert (
        manager_api.get(f"/api/v1/orders/{order.pk}")
        .json()["created_at"]
        .startswith("2026-01-04T21:30")
    )


def test_title_and_vat_read_as_people_write_them(manager_site, admin_site):
    product = ProductFactory(name="Bread", vat_rate=Decimal("0.0100"))
    index = admin_site.get("/admin/").content.decode()
    assert "PosPro back-office" in index
    assert "Django administration" not in index
    assert "<title>Back-office | PosPro back-office</title>" in index
    listing = admin_site.get("/admin/catalog/product/").content.decode()
    assert "1%" in listing
    assert "0.0100" not in listing
    view = manager_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "1%" in view
    assert "0.0100" not in view
    form = admin_site.get(f"/admin/catalog/product/{product.pk}/change/").content.decode()
    assert "0.18 is 18%" in form
    assert Product.objects.get().vat_rate == Decimal("0.0100")


# --- Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/admin/login/", "/admin/", "/admin/sales/order/", "/admin/dashboard/", "/docs", "/redoc"],
)
def test_html_pages_carry_a_content_security_policy(admin_site, path):
    response = (Client() if path == "/admin/login/" else admin_site).get(path)
    assert response.status_code == 200
    policy = dict(
        part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";")
    )
    assert policy["script-src"] == "'self'", "no inline or remote script"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert b"<script>" not in response.content, "no inline script on the page"


def test_error_pages_carry_the_policy_and_json_answers_none(manager_site, manager_api):
    page = manager_site.get("/admin/no-such-page/")
    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "Content-Security-Policy" not in manager_api.get("/api/v1/products")

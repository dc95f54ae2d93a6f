"""The back-office dashboard (/admin/dashboard/) and what managers may open in the admin."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts.models import MANAGERS_GROUP, User
from accounts.tests.factories import UserFactory
from backoffice.services import MANAGER_VIEWS, MANAGER_WRITES, managers_group_sync
from catalog.tests.stock import give_stock
from reporting import charts
from sales import services
from sales.tests.helpers import stocked_product

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def sell_now(cashier, product, quantity=1):
    total = (product.price * quantity * (1 + product.vat_rate)).quantize(Decimal("0.01"))
    return services.order_create(
        actor=cashier,
        items=[services.ItemRequest(product_id=product.pk, quantity=quantity)],
        payments=[services.PaymentRequest(method="card", amount=total)],
    )


@pytest.fixture
def sales(branch, other_branch, cashier, other_cashier):
    tea = stocked_product(branch, name="Tea <b>", price=Decimal("10.00"), vat_rate=Decimal("0"))
    give_stock(tea, other_branch, 50)
    low = stocked_product(branch, name="Saffron", stock=2, critical_stock_level=5)
    sell_now(cashier, tea, 3)
    sell_now(cashier, tea, 1)
    sell_now(other_cashier, tea, 5)
    return {"tea": tea, "low": low}


def kpi(html: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">([^<]*)<', html)
    return match.group(1) if match else ""


def test_manager_sees_own_branch_with_charts(manager, branch, sales):
    response = browser(manager).get("/admin/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dash-scope">IST-01 Istanbul Kadikoy<' in html
    assert html.count('<svg class="chart"') == 3
    assert kpi(html, "today-revenue") == "40.00"
    assert kpi(html, "today-orders") == "2"
    assert kpi(html, "today-basket") == "20.00"
    assert kpi(html, "week-orders") == "2"
    assert "ANK-01" not in html  # not even in a filter
    assert "Saffron" in html  # low stock: 2 <= 5
    assert "Tea &lt;b&gt;" in html
    assert "Tea <b>" not in html
    assert "<script" not in html.split('id="sales-dashboard"')[1]  # server-drawn charts only
    assert "cdn" not in html.lower()


def test_manager_cannot_pick_another_branch(manager, other_branch, sales):
    response = browser(manager).get(f"/admin/dashboard/?branch={other_branch.pk}")
    assert response.status_code == 403


def test_admin_sees_every_branch_and_can_filter(admin_user, branch, other_branch, sales):
    client = browser(admin_user)
    html = client.get("/admin/dashboard/").content.decode()
    assert 'id="dash-scope">All branches<' in html
    assert kpi(html, "today-orders") == "3"
    assert kpi(html, "today-revenue") == "90.00"
    assert "ANK-01" in html
    assert "IST-01" in html
    only = client.get(f"/admin/dashboard/?branch={other_branch.pk}").content.decode()
    assert 'id="dash-scope">ANK-01 Ankara Cankaya<' in only
    assert kpi(only, "today-orders") == "1"
    assert "Saffron" not in only
    odd = client.get("/admin/dashboard/?branch=not-a-uuid")
    assert odd.status_code == 200
    assert 'id="dash-scope">All branches<' in odd.content.decode()


def test_low_stock_lists_only_what_the_branch_carries(manager, admin_user, other_branch, sales):
    stocked_product(other_branch, name="Vanilla", stock=1, critical_stock_level=3)
    stocked_product(other_branch, name="Nutmeg", stock=0, critical_stock_level=1, is_active=False)
    own = browser(manager).get("/admin/dashboard/").content.decode()
    low = own.split('id="dash-low-stock"')[1]
    assert "Saffron" in low
    assert "Vanilla" not in low
    everywhere = browser(admin_user).get("/admin/dashboard/").content.decode()
    low = everywhere.split('id="dash-low-stock"')[1]
    assert low.index("Saffron") < low.index("Vanilla")  # most short first: 3 before 2
    assert "Nutmeg" not in low  # inactive products are not low on stock


def test_a_manager_naming_no_branch_sees_their_own(manager, sales):
    html = browser(manager).get("/admin/dashboard/?branch=not-a-uuid").content.decode()
    assert 'id="dash-scope">IST-01 Istanbul Kadikoy<' in html
    assert kpi(html, "today-orders") == "2"


def test_dashboard_needs_staff_and_a_role(cashier, branch):
    anonymous = Client().get("/admin/dashboard/")
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/admin/login/")
    not_staff = browser(cashier).get("/admin/dashboard/")
    assert not_staff.status_code == 302
    staff_cashier = UserFactory(role="cashier", branch=branch, is_staff=True)
    assert browser(staff_cashier).get("/admin/dashboard/").status_code == 403


def test_dashboard_reads_a_fixed_number_of_queries(
    admin_user, sales, settings, django_assert_num_queries
):
    client = browser(admin_user)
    client.get("/admin/dashboard/")
    # session, user, branches, then the sales figures (six queries, cached) and the low stock.
    with django_assert_num_queries(4):
        client.get("/admin/dashboard/")
    settings.POSPRO_CACHE_TTL = 0
    with django_assert_num_queries(10):
        client.get("/admin/dashboard/")


def test_admin_index_links_the_dashboard(manager, admin_user):
    for user in (manager, admin_user):
        html = browser(user).get("/admin/").content.decode()
        assert 'href="/admin/dashboard/"' in html


def test_managers_get_view_permissions_in_the_admin(branch):
    managers_group_sync()
    manager = User.objects.create_user(
        email="m@pospro.test", password="Till-Secret-2025!", name="M", role="manager", branch=branch
    )
    assert manager.groups.filter(name=MANAGERS_GROUP).exists()
    assert manager.has_perm("sales.view_order")
    assert manager.has_perm("catalog.view_product")
    assert not manager.has_perm("sales.change_order")
    assert not manager.has_perm("catalog.change_product")
    assert not manager.has_perm("accounts.view_user")
    client = browser(manager)
    assert client.get("/admin/sales/order/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 403
    cashier = User.objects.create_user(
        email="c@pospro.test", password="Till-Secret-2025!", name="C", role="cashier", branch=branch
    )
    assert not cashier.groups.exists()


def test_group_sync_repairs_and_enrols_existing_managers(manager):
    Group.objects.filter(name=MANAGERS_GROUP).delete()
    group = managers_group_sync()
    assert list(group.user_set.all()) == [manager]
    assert group.permissions.count() == len(MANAGER_VIEWS) + len(MANAGER_WRITES) == 18


def test_charts_scale_and_escape():
    assert charts.nice_ceiling(0) == 1
    assert charts.nice_ceiling(7.2) == 10
    assert charts.nice_ceiling(1234) == 2000
    assert charts.nice_ceiling(2100) == 2500
    assert charts.short_money(12500) == "12.5k"
    assert charts.short_money(3_000_000) == "3M"
    assert charts.short_money(6250) == "6.25k"
    svg = charts.bar_chart([("<script>", Decimal("5"))], label='a "label"')
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    line = charts.line_chart(
        [("01", "day 1", Decimal("0")), ("02", "day 2", Decimal("0"))], label="x"
    )
    assert "<polyline" in line
    assert charts.bar_chart([], label="none").count("No sales") == 1

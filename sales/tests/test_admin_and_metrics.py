import re
from decimal import Decimal

import pytest
from django.test import Client

from accounts.tests.factories import UserFactory
from sales.models import Customer, Order
from sales.tests.factories import CustomerFactory
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_browser(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_order_admin_is_read_only_with_inlines(admin_browser, cashier_api, branch):
    order = post_order(
        cashier_api, order_body((stocked_product(branch, name="Olive oil"), 2), payments=cash(100))
    ).json()
    changelist = admin_browser.get("/admin/sales/order/")
    assert changelist.status_code == 200
    assert order["order_number"] in changelist.content.decode()
    page = admin_browser.get(f"/admin/sales/order/{order['id']}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Olive oil" in html
    assert 'name="_save"' not in html
    assert admin_browser.get("/admin/sales/order/add/").status_code == 403
    deleted = admin_browser.post(f"/admin/sales/order/{order['id']}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    assert Order.objects.count() == 1


def test_customer_admin_edits_but_never_balance(admin_browser):
    customer = CustomerFactory(name="Old Name")
    Customer.objects.filter(pk=customer.pk).update(balance=Decimal("40.00"))
    response = admin_browser.post(
        f"/admin/sales/customer/{customer.pk}/change/",
        {"name": "New Name", "email": "", "phone": "", "tax_number": "", "notes": "",
         "balance": "0.00"},
    )  # fmt: skip
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.balance) == ("New Name", Decimal("40.00"))


def test_business_counters_and_low_stock_gauge(
    api, cashier_api, branch, django_capture_on_commit_callbacks
):
    def sample(text, name, **labels):
        label_re = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        match = re.search(rf"^{name}\{{{label_re}\}} (\S+)$", text, re.MULTILINE)
        return float(match.group(1)) if match else 0.0

    before = api.get("/metrics").content.decode()
    item = stocked_product(branch, stock=6, price=Decimal("10.00"), vat_rate=Decimal("0"))
    item.critical_stock_level = 5
    item.save()
    with django_capture_on_commit_callbacks(execute=True):  # counters count on commit
        post_order(cashier_api, order_body((item, 2), payments=cash(20)))
        post_order(
            cashier_api,
            order_body(
                (item, 1),
                payments=[
                    {"method": "card", "amount": Decimal("5")},
                    {"method": "cash", "amount": 5},
                ],
            ),
        )
    after = api.get("/metrics").content.decode()
    code = branch.code
    orders = "pospro_orders_total"
    assert (
        sample(after, orders, branch=code, payment_method="cash")
        - sample(before, orders, branch=code, payment_method="cash")
        == 1
    )
    assert (
        sample(after, orders, branch=code, payment_method="split")
        - sample(before, orders, branch=code, payment_method="split")
        == 1
    )
    revenue = "pospro_revenue_total"
    assert sample(after, revenue, branch=code) - sample(before, revenue, branch=code) == 30.0
    assert sample(after, "pospro_low_stock_products", branch=code) == 1.0


def test_manager_sees_only_own_branch_orders_in_admin(cashier_api, branch, other_branch):
    from conftest import client_for

    post_order(cashier_api, order_body((stocked_product(branch), 1), payments=cash(100)))
    stranger = UserFactory(role="cashier", branch=other_branch)
    post_order(
        client_for(stranger), order_body((stocked_product(other_branch), 1), payments=cash(100))
    )
    from sales.admin import OrderAdmin

    manager = UserFactory(role="manager", branch=branch)

    class Request:
        user = manager

    from django.contrib import admin

    queryset = OrderAdmin(Order, admin.site).get_queryset(Request())
    assert {o.branch_id for o in queryset} == {branch.pk}

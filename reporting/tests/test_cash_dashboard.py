"""The Cash page of the back-office dashboard (/admin/dashboard/cash/): today's drawers and
over/short per cashier over 30 days, scoped like the sales dashboard (reporting.tests.cash_shop)."""

import re

import pytest
from django.test import Client
from freezegun import freeze_time

from reporting.tests.cash_shop import build_cash_shop, session
from reporting.tests.helpers import at

pytestmark = pytest.mark.django_db

NOW = "2026-02-12 15:00"
#: A fixed number for the page (the login's session and user, today's sessions, the
#: branches...; the per-cashier figures come from the cache) plus the live X report (six
#: aggregate queries, sales.cash.session_report) of each open drawer.
BASE = 6
REPORT = 6
PAGE = "/admin/dashboard/cash/"


@pytest.fixture
def shop(branch, other_branch, manager, other_cashier):
    return build_cash_shop(branch, other_branch, manager, other_cashier)


def get(user, path=PAGE, when=NOW):
    with freeze_time(at(when)):
        client = Client()
        client.force_login(user)
        return client.get(path)


def text(html: str, id_: str) -> str:
    match = re.search(rf'id="{id_}">([^<]*)<', html)
    return match.group(1) if match else ""


def session_rows(html: str) -> list[tuple[str, ...]]:
    rows = []
    for row in re.findall(r'<tr class="session-(open|closed)"[^>]*>(.*?)</tr>', html, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>",
                                                                       row[1], re.S)]  # fmt: skip
        rows.append((row[0], *cells))
    return rows


def test_manager_sees_todays_drawers_and_cashiers_of_own_branch(shop):
    response = get(shop.manager)
    assert response.status_code == 200
    html = response.content.decode()
    assert text(html, "dash-scope") == "IST-01 Istanbul Kadikoy"
    assert session_rows(html) == [
        ("closed", "K1 Front", "Ali Veli", "08:00", "12:00", "Z 3", "100.00", "100.00",
         "99.00", "-1.00"),
        # open: float 80 + a 10.00 cash sale, live from the X report
        ("open", "K2 Back", "Zeynep Kaya", "09:00", "", "open", "80.00", "90.00", "", ""),
    ]  # fmt: skip
    assert text(html, "cash-open-count") == "1"
    assert text(html, "cash-closed-count") == "1"
    # 30 days: Ali -2.00 + 0.00 - 1.00, Zeynep +0.50; the largest shortfall first.
    assert text(html, "cash-over-short-total") == "-2.50"
    cashiers = html.split('id="cash-cashiers"')[1]
    assert cashiers.index("Ali Veli") < cashiers.index("Zeynep Kaya")
    assert "-3.00" in cashiers
    assert "0.50" in cashiers
    chart = html.split('id="cash-chart"')[1]
    assert chart.count('<svg class="chart"') == 1
    assert chart.count("chart-bar chart-bar-short") == 1  # Ali short, Zeynep over
    assert "ANK-01" not in html
    assert "<script" not in html.split('id="cash-dashboard"')[1]
    assert 'href="/admin/dashboard/"' in html  # back to the sales page


def test_the_sales_dashboard_links_to_the_cash_page(shop):
    html = get(shop.manager, "/admin/dashboard/").content.decode()
    assert 'id="dash-cash-link"' in html
    assert 'href="/admin/dashboard/cash/"' in html


def test_admin_sees_every_branch_and_filters(shop, admin_user):
    html = get(admin_user).content.decode()
    assert text(html, "dash-scope") == "All branches"
    assert text(html, "cash-over-short-total") == "2.50"  # ANK-01's +5.00 too
    one = get(admin_user, f"{PAGE}?branch={shop.other_branch.pk}").content.decode()
    assert text(one, "dash-scope") == "ANK-01 Ankara Cankaya"
    assert session_rows(one) == []  # its only session was on the 10th
    assert text(one, "cash-over-short-total") == "5.00"


def test_roles(shop, cashier):
    assert get(cashier).status_code in (302, 403)  # not staff: the admin's login
    assert get(shop.manager, f"{PAGE}?branch={shop.other_branch.pk}").status_code == 403
    with freeze_time(at(NOW)):
        assert Client().get(PAGE).status_code == 302


def test_an_old_open_drawer_still_shows(shop):
    html = get(shop.manager, when="2026-02-13 10:00").content.decode()
    rows = session_rows(html)
    assert [r[:3] for r in rows] == [("open", "K2 Back", "Zeynep Kaya")]
    assert rows[0][3] == "12 Feb 09:00"


def test_query_count_is_fixed_plus_one_report_per_open_drawer(shop, django_assert_num_queries):
    with freeze_time(at(NOW)):
        client = Client()
        client.force_login(shop.manager)
        client.get(PAGE)  # the session and user loads of the login
        with django_assert_num_queries(BASE + REPORT):
            client.get(PAGE)
        session(shop.ali, shop.k1, "2026-02-12 13:00", "10")  # a second open drawer
        with django_assert_num_queries(BASE + 2 * REPORT):
            client.get(PAGE)

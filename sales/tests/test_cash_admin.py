"""Registers and cash sessions in the back-office: scoped like the API, written through
sales.cash, read-only once closed, closed on their own page, Z report printable."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from backoffice.services import managers_group_sync
from sales import cash
from sales.models import CashSession, Register
from sales.tests.factories import RegisterFactory
from sales.tests.helpers import stocked_product

pytestmark = pytest.mark.django_db

D = Decimal


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def manager_site(manager) -> Client:
    managers_group_sync()
    return browser(manager)


@pytest.fixture
def drawers(branch, other_branch, cashier, other_cashier):
    k1 = RegisterFactory(branch=branch, code="K1")
    k2 = RegisterFactory(branch=branch, code="K2")
    far = RegisterFactory(branch=other_branch, code="K1")
    closed = cash.cash_session_open(actor=cashier, register_id=k1.pk, opening_float=D("100"))
    tea = stocked_product(branch, name="Tea", price=D("10.00"), vat_rate=D("0.10"))
    from sales import services

    services.order_create(
        actor=cashier,
        register_id=k1.pk,
        items=[services.ItemRequest(product_id=tea.pk, quantity=2)],
        payments=[services.PaymentRequest(method="cash", amount=D("50.00"))],
    )
    cash.cash_movement_create(
        actor=cashier, session_id=closed.pk, type="paid_out", amount=D("5.00"), reason="Milk"
    )
    z = cash.cash_session_close(actor=cashier, session_id=closed.pk, counted_cash=D("116.00"))
    open_ = cash.cash_session_open(actor=cashier, register_id=k1.pk, opening_float=D("50"))
    elsewhere = cash.cash_session_open(
        actor=other_cashier, register_id=far.pk, opening_float=D("10")
    )
    return {"k1": k1, "k2": k2, "far": far, "closed": CashSession.objects.get(pk=closed.pk),
            "open": open_, "elsewhere": elsewhere, "z": z}  # fmt: skip


def url(session, what="change"):
    suffix = {"change": "change/", "close": "close/", "z": "z-report/", "delete": "delete/"}
    return f"/admin/sales/cashsession/{session.pk}/{suffix[what]}"


def notes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_manager_sees_own_branch_sessions_only(manager_site, drawers):
    page = manager_site.get("/admin/sales/cashsession/")
    assert page.status_code == 200
    html = page.content.decode()
    assert str(drawers["closed"].pk) in html
    assert str(drawers["open"].pk) in html
    assert str(drawers["elsewhere"].pk) not in html
    assert "ANK-01" not in html
    for what in ("change", "close", "z"):
        assert manager_site.get(url(drawers["elsewhere"], what)).status_code == 404
    registers = manager_site.get("/admin/sales/register/").content.decode()
    assert str(drawers["far"].pk) not in registers
    assert manager_site.get(f"/admin/sales/register/{drawers['far'].pk}/change/").status_code == 404


def test_the_session_list_is_a_fixed_number_of_queries(
    manager_site, drawers, cashier, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        first = manager_site.get("/admin/sales/cashsession/")
    for _ in range(5):
        opened = cash.cash_session_open(
            actor=cashier, register_id=drawers["k2"].pk, opening_float=D("1")
        )
        cash.cash_session_close(actor=cashier, session_id=opened.pk, counted_cash=D("1"))
    with django_assert_max_num_queries(12):
        more = manager_site.get("/admin/sales/cashsession/")
    assert first.status_code == more.status_code == 200


def test_a_closed_session_is_read_only_and_never_deleted(manager_site, admin_user, drawers):
    closed = drawers["closed"]
    for client in (manager_site, browser(admin_user)):
        page = client.get(url(closed)).content.decode()
        assert 'name="_save"' not in page
        assert 'id="print-z-report"' in page
        assert 'id="close-session"' not in page
        assert client.post(url(closed), {"note": "changed"}).status_code == 403
        assert client.get(url(closed, "delete")).status_code == 403
        again = client.get(url(closed, "close"))
        assert again.status_code == 302
        assert notes(again) == ["This session is already closed."]
    fresh = CashSession.objects.get(pk=closed.pk)
    assert (fresh.note, fresh.counted_cash, fresh.z_report) == (
        closed.note, closed.counted_cash, closed.z_report,
    )  # fmt: skip


def test_opening_through_the_admin_add_goes_through_the_service(manager_site, manager, drawers):
    k2 = drawers["k2"]
    form = manager_site.get("/admin/sales/cashsession/add/").content.decode()
    assert str(k2.pk) in form
    assert str(drawers["far"].pk) not in form
    response = manager_site.post(
        "/admin/sales/cashsession/add/", {"register": str(k2.pk), "opening_float": "75.00"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    session = CashSession.objects.get(register=k2, status="open")
    assert (session.opened_by, session.opening_float, session.branch_id) == (
        manager, D("75.00"), k2.branch_id,
    )  # fmt: skip
    twice = manager_site.post(
        "/admin/sales/cashsession/add/", {"register": str(k2.pk), "opening_float": "10.00"}
    )
    assert twice.status_code == 302
    assert any("already has an open cash session" in m for m in notes(twice))
    assert CashSession.objects.filter(register=k2).count() == 1


def test_closing_from_the_admin_stores_the_z_report(manager_site, manager, drawers):
    session = drawers["open"]
    page = manager_site.get(url(session))
    assert 'id="close-session"' in page.content.decode()
    form = manager_site.get(url(session, "close"))
    assert form.status_code == 200
    assert 'id="x-expected-cash"><strong>50.00<' in form.content.decode()
    refused = manager_site.post(url(session, "close"), {"counted_cash": "-1"})
    assert refused.status_code == 200
    assert CashSession.objects.get(pk=session.pk).status == "open"
    done = manager_site.post(url(session, "close"), {"counted_cash": "49.50", "note": "coin"})
    assert done.status_code == 302
    session.refresh_from_db()
    assert (session.status, session.z_number, session.closed_by) == ("closed", 2, manager)
    assert (session.expected_cash, session.over_short, session.note) == (
        D("50.00"), D("-0.50"), "coin",
    )  # fmt: skip
    assert notes(done) == ["Closed K1 Till 1: Z 2, over/short -0.50."] or "Z 2" in notes(done)[0]


def test_cashiers_and_view_only_users_cannot_close(drawers, branch, manager):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    viewer = UserFactory(role="manager", branch=branch, is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_cashsession"))
    client = browser(viewer)
    assert client.get(url(drawers["open"])).status_code == 200
    assert 'id="close-session"' in client.get(url(drawers["open"])).content.decode()
    assert client.get(url(drawers["open"], "close")).status_code == 403
    assert client.post(url(drawers["open"], "close"), {"counted_cash": "1"}).status_code == 403
    assert CashSession.objects.get(pk=drawers["open"].pk).status == "open"


def test_the_z_report_prints_the_stored_report_without_admin_chrome(manager_site, drawers):
    response = manager_site.get(url(drawers["closed"], "z"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "PosPro back-office" not in html
    assert 'id="header"' not in html
    assert "@media print" in html
    assert '<script src="/static/backoffice/print.js" defer></script>' in html
    assert "<script>" not in html
    assert "onclick" not in html
    z = drawers["z"]
    assert '<h1 id="z-title">Z report 1</h1>' in html
    # float 100 + cash kept 22.00 - paid out 5.00 = 117.00; counted 116.00
    assert (z["expected_cash"], z["over_short"]) == (117.0, -1.0)
    assert 'id="z-expected">117.00<' in html
    assert 'id="z-counted">116.00<' in html
    assert 'class="num short" id="z-over-short">-1.00<' in html
    assert 'id="z-sales-total">22.00<' in html
    assert '<td>10%</td><td class="num">20.00</td><td class="num">2.00</td>' in html
    assert manager_site.get(url(drawers["open"], "z")).status_code == 404


def test_registers_are_written_through_the_service(manager_site, manager, branch, drawers):
    add = manager_site.get("/admin/sales/register/add/").content.decode()
    assert "ANK-01" not in add
    created = manager_site.post(
        "/admin/sales/register/add/",
        {"branch": str(branch.pk), "code": " K3 ", "name": "Express", "is_active": "on"},
    )
    assert created.status_code == 302
    assert Register.objects.filter(branch=branch, code="K3", name="Express").exists()
    duplicate = manager_site.post(
        "/admin/sales/register/add/", {"branch": str(branch.pk), "code": "K1", "name": "x"}
    )
    assert duplicate.status_code == 200  # the form's own check of the unique constraint
    assert "errornote" in duplicate.content.decode()
    assert Register.objects.filter(branch=branch, code="K1").count() == 1
    k1 = drawers["k1"]
    # K1 has an open session: deactivating it is refused by the service (409 in the API).
    refused = manager_site.post(
        f"/admin/sales/register/{k1.pk}/change/", {"code": "K1", "name": "Front"}
    )
    assert refused.status_code == 302
    assert any("open cash session" in m for m in notes(refused))
    k1.refresh_from_db()
    assert k1.is_active is True
    renamed = manager_site.post(
        f"/admin/sales/register/{drawers['k2'].pk}/change/",
        {"code": "K2", "name": "Back door", "is_active": "on"},
    )
    assert renamed.status_code == 302
    assert Register.objects.get(pk=drawers["k2"].pk).name == "Back door"
    assert manager_site.get(f"/admin/sales/register/{k1.pk}/delete/").status_code == 403

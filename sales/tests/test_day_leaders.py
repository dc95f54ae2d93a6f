"""Each branch-day's candidate best sellers (sales.ProductDayLeader) and their floor
(sales.ProductDayThreshold): a day's ranking read from the leaders equals the ranking of every
product sold, and the floor never passes the day's LEADERS-th revenue, through sales, refunds,
cancellations, a rebuild, and parallel requests on PostgreSQL.

LEADERS is lowered to 3 so a handful of products exercises the threshold; a report of one day
by revenue with `limit` <= LEADERS ranks the leaders, a larger `limit` every product sold.
Every test runs with the floor raised by every sale and by (almost) none."""

import itertools
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.db import connection

from conftest import client_for
from pospro.clock import business_today
from pospro.testing.parallel import run_together
from reporting import selectors
from sales import rollup
from sales.models import ProductDayLeader, ProductDayThreshold, ProductSalesRollup
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db

LEADERS = 3


@pytest.fixture(autouse=True, params=[1, 1000], ids=["raised-every-sale", "floor-only"])
def few_leaders(request, monkeypatch, settings):
    assert connection.vendor == "postgresql", "the suite always runs on PostgreSQL"
    monkeypatch.setattr(rollup, "LEADERS", LEADERS)
    monkeypatch.setattr(rollup, "RAISE_EVERY", request.param)
    monkeypatch.setattr(rollup, "_sales", itertools.count(1))
    settings.POSPRO_CACHE_TTL = 0  # every report computed (their versions move on commit)


def ranked(client, limit: int) -> list[tuple[str, float]]:
    response = client.get("/api/v1/reports/products", {"limit": limit})
    assert response.status_code == 200, response.content
    return [(item["product_id"], item["revenue"]) for item in response.json()["items"]]


def assert_leaders_rank_like_everything(client) -> None:
    everything = ranked(client, LEADERS + 10)  # more than LEADERS: every product sold
    for limit in range(1, LEADERS + 1):
        assert ranked(client, limit) == everything[:limit], limit


def true_top(branch) -> set:
    """The products at or above the LEADERS-th revenue of the branch's day (ties included)."""
    rows = ProductSalesRollup.objects.filter(
        branch=branch, business_date=business_today(), lines__gt=0
    ).order_by("-revenue")
    revenues = [row.revenue for row in rows]
    if len(revenues) < LEADERS:
        return {row.product_id for row in rows}
    return {row.product_id for row in rows if row.revenue >= revenues[LEADERS - 1]}


def assert_kept(branch) -> None:
    """Every product at or above the day's LEADERS-th is a leader, and the floor is at most
    that revenue (no floor with fewer than LEADERS products)."""
    assert true_top(branch) <= leaders(branch)
    revenues = sorted(
        ProductSalesRollup.objects.filter(
            branch=branch, business_date=business_today(), lines__gt=0
        ).values_list("revenue", flat=True),
        reverse=True,
    )
    floor = ProductDayThreshold.objects.filter(
        branch=branch, business_date=business_today()
    ).first()
    if floor is not None:
        assert len(revenues) >= LEADERS
        assert floor.revenue <= revenues[LEADERS - 1]


def leaders(branch) -> set:
    return set(
        ProductDayLeader.objects.filter(branch=branch, business_date=business_today()).values_list(
            "product_id", flat=True
        )
    )


def test_sales_refunds_and_cancels_keep_the_leaders(cashier_api, manager_api, branch):
    a, b, c, d, e, f = (
        stocked_product(branch, price=D(price), vat_rate=D("0"))
        for price in ("10", "20", "30", "5", "100", "1")
    )

    def sell(*lines):
        body = order_body(*lines, payments=cash(10_000))
        response = post_order(cashier_api, body)
        assert response.status_code == 201, response.content
        return response.json()

    sell((a, 1), (b, 1))
    sell((c, 1))
    sell((d, 1))  # 5, under the third best (10): no leader once the floor is raised
    raised = rollup.RAISE_EVERY == 1
    assert leaders(branch) == {a.pk, b.pk, c.pk} | (set() if raised else {d.pk})
    assert_leaders_rank_like_everything(manager_api)

    big = sell((e, 2), (f, 1))
    assert e.pk in leaders(branch)
    assert (f.pk in leaders(branch)) is not raised
    assert_leaders_rank_like_everything(manager_api)

    # A refund lowers a leader: the day is ranked anew, and d or a may come back in.
    e_line = next(line for line in big["items"] if line["product_id"] == str(e.pk))
    response = manager_api.post(
        f"/api/v1/orders/{big['id']}/refund",
        {"items": [{"order_item_id": e_line["id"], "quantity": 2}]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_kept(branch)
    assert_leaders_rank_like_everything(manager_api)

    for _ in range(3):
        sell((d, 2))  # 5 -> 35: climbs into the top
    assert d.pk in leaders(branch)
    assert_leaders_rank_like_everything(manager_api)

    cancelled = sell((f, 50))  # f leads with 50, then the sale is voided
    assert f.pk in leaders(branch)
    response = manager_api.post(
        f"/api/v1/orders/{cancelled['id']}/cancel", {"reason": "x"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert_kept(branch)
    assert_leaders_rank_like_everything(manager_api)

    stats = manager_api.get("/api/v1/orders/stats").json()  # top 10: every product ranked
    assert [(p["product_id"], p["revenue"]) for p in stats["top_products"][:LEADERS]] == ranked(
        manager_api, LEADERS
    )


def test_a_rebuild_ranks_every_day_anew(cashier_api, manager_api, branch):
    products = [stocked_product(branch, price=D(n), vat_rate=D("0")) for n in range(1, 8)]
    for product in products:
        post_order(cashier_api, order_body((product, 1), payments=cash(100)))
    ProductDayLeader.objects.all().delete()
    assert ranked(manager_api, 1) == []  # nothing to rank from: the rebuild's job
    call_command("rebuild_sales_rollup", verbosity=0)
    assert leaders(branch) == {p.pk for p in products[-LEADERS:]}
    assert_leaders_rank_like_everything(manager_api)
    assert (
        selectors.top_products(
            start=business_today(), end=business_today(), branch_id=branch.pk, limit=LEADERS
        )
        == selectors.top_products(
            start=business_today(), end=business_today(), branch_id=branch.pk, limit=LEADERS + 10
        )[:LEADERS]
    )


@pytest.mark.django_db(transaction=True)
def test_parallel_sales_and_refunds_keep_every_top_product_a_leader(cashier, manager, branch):
    products = [stocked_product(branch, price=D(n), vat_rate=D("0")) for n in range(1, 13)]
    seller = client_for(cashier)
    first = [post_order(seller, order_body((p, 2), payments=cash(100))).json() for p in products]
    clients = [client_for(cashier if i % 3 else manager) for i in range(18)]

    def work(index):
        if index % 3 == 0:  # a manager refunds one unit of an earlier sale
            order = first[-1 - index // 3]  # one of the best sellers
            line = order["items"][0]
            return clients[index].post(
                f"/api/v1/orders/{order['id']}/refund",
                {"items": [{"order_item_id": line["id"], "quantity": 1}]},
                format="json",
            )
        product = products[index % len(products)]
        return post_order(clients[index], order_body((product, 3), payments=cash(1000)))

    results = run_together(18, work)
    assert [getattr(r, "status_code", r) for r in results] == [201] * 18
    assert_kept(branch)
    assert_leaders_rank_like_everything(client_for(manager))


def test_a_raised_floor_keeps_the_leaders_few(cashier_api, manager_api, branch, request):
    """Sold best first, ten products: raised by every sale, the floor lets in only the top
    LEADERS; never raised, every product sold joins (correct, just more rows to rank)."""
    products = [stocked_product(branch, price=D(n), vat_rate=D("0")) for n in range(10, 0, -1)]
    for product in products:
        response = post_order(cashier_api, order_body((product, 1), payments=cash(100)))
        assert response.status_code == 201, response.content
        assert_kept(branch)
    raised_every_sale = rollup.RAISE_EVERY == 1
    expected = products[:LEADERS] if raised_every_sale else products
    assert leaders(branch) == {p.pk for p in expected}
    floor = ProductDayThreshold.objects.filter(branch=branch).values_list("revenue", flat=True)
    assert list(floor) == ([D("8.00")] if raised_every_sale else [])
    assert_leaders_rank_like_everything(manager_api)

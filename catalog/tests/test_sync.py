"""Catalog syncs (`updated_since` + `after_id`): the page is found in two ordered parts, the
products whose own time is their `updated_at` and those whose stock row's time is; paging
through them must give exactly the rows of the definition, in its order, whatever the ties."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import selectors
from catalog.models import Product, StockLevel
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.stock import give_stock

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"


def expected(branch_id, since, **filters) -> list[str]:
    """The definition: every product whose `changed_at` is after `since`, by (changed_at, id)."""
    rows = (
        selectors.products_with_stock(branch_id=branch_id)
        .filter(changed_at__gt=since, **filters)
        .order_by("changed_at", "id")
    )
    return [str(pk) for pk in rows.values_list("pk", flat=True)]


def sync(client, since, limit, **query) -> tuple[list[str], list[int]]:
    """Every page of a sync from `since`, continued with the last item's time and id."""
    seen, totals = [], []
    params = {"updated_since": since.isoformat(), "limit": limit, **query}
    while True:
        body = client.get(URL, params).json()
        totals.append(body["total"])
        if not body["items"]:
            return seen, totals
        seen += [item["id"] for item in body["items"]]
        last = body["items"][-1]
        params = {**params, "updated_since": last["updated_at"], "after_id": last["id"]}


@pytest.fixture
def mixed_catalog(branch, other_branch):
    """Ten products whose own times and stock times interleave, with ties everywhere: two
    products at one instant, a product's time equal to another's stock time, a stock row
    equal to its own product's time, rows at the other branch only, products never stocked."""
    base = timezone.now() - timedelta(hours=1)
    at = [base + timedelta(seconds=n) for n in range(8)]
    products = ProductFactory.create_batch(10)
    for product in products[:7]:
        give_stock(product, branch, 3)
    for product in products[4:9]:
        give_stock(product, other_branch, 2)
    for where in (branch, other_branch):
        give_stock(products[9], where, 1)
    own = [at[1], at[1], at[2], at[5], at[0], at[3], at[3], at[4], at[6], at[2]]
    for product, when in zip(products, own, strict=True):
        Product.objects.filter(pk=product.pk).update(updated_at=when)
    stock_times = {  # (product index, branch): time; others stay older than every product
        (0, branch): at[4],
        (2, branch): at[2],  # equal to its own product's time
        (4, branch): at[3],  # equal to products 5 and 6's own time
        (5, branch): at[7],
        (4, other_branch): at[6],
        (6, other_branch): at[5],
        (8, other_branch): at[1],  # older than its product
        (9, branch): at[7],  # the same instant at both branches: the product once
        (9, other_branch): at[7],
    }
    old = base - timedelta(days=1)
    StockLevel.objects.update(updated_at=old)
    for (index, where), when in stock_times.items():
        StockLevel.objects.filter(product=products[index], branch=where).update(updated_at=when)
    return base, at


@pytest.mark.parametrize("limit", [1, 2, 3, 100])
@pytest.mark.parametrize("who", ["manager", "admin", "admin_at_other_branch"])
def test_a_sync_pages_through_exactly_the_changed_products_in_order(
    request, mixed_catalog, other_branch, limit, who
):
    base, at = mixed_catalog
    client = request.getfixturevalue("admin_api" if who.startswith("admin") else "manager_api")
    query, branch_id = {}, None
    if who == "manager":
        branch_id = request.getfixturevalue("branch").pk
    elif who == "admin_at_other_branch":
        query, branch_id = {"branch_id": str(other_branch.pk)}, other_branch.pk
    for since in (base - timedelta(seconds=1), at[1], at[3], at[6]):
        want = expected(branch_id, since)
        seen, totals = sync(client, since, limit, **query)
        assert seen == want, f"since {since}"
        # Each page's total counts what is left from its cursor on; the last is 0.
        assert totals == [len(want) - n for n in range(0, len(want), limit)] + [0]


def test_a_sync_pages_by_skip_too(admin_api, mixed_catalog):
    base, _ = mixed_catalog
    since = (base - timedelta(seconds=1)).isoformat()
    want = expected(None, base - timedelta(seconds=1))
    pages = [
        admin_api.get(URL, {"updated_since": since, "skip": skip, "limit": 3}).json()
        for skip in range(0, len(want) + 3, 3)
    ]
    assert [item["id"] for page in pages for item in page["items"]] == want
    assert {page["total"] for page in pages} == {len(want)}


def test_a_sync_keeps_every_other_filter(manager_api, mixed_catalog, branch):
    base, _ = mixed_catalog
    drinks = CategoryFactory(name="Drinks")
    Product.objects.filter(pk__in=Product.objects.order_by("pk").values("pk")[:5]).update(
        category=drinks
    )
    Product.objects.filter(pk=Product.objects.order_by("pk").values("pk")[:1]).update(
        is_active=False
    )
    since = base - timedelta(seconds=1)
    for query, filters in (
        ({"category": "drinks"}, {"category": drinks}),
        ({"is_active": "true"}, {"is_active": True}),
        ({"is_active": "false"}, {"is_active": False}),
    ):
        seen, _ = sync(manager_api, since, 2, **query)
        assert seen == expected(branch.pk, since, **filters), query
        assert seen


def test_a_product_changed_during_the_sync_is_neither_skipped_nor_shown_twice_early(
    manager_api, mixed_catalog, branch
):
    """A product changed after the sync read it comes again at its new time (it changed); one
    changed before the sync reached it comes once, at its new time; nothing else moves."""
    base, _ = mixed_catalog
    since = base - timedelta(seconds=1)
    want = expected(branch.pk, since)
    first = manager_api.get(URL, {"updated_since": since.isoformat(), "limit": 3}).json()
    read, ahead, cursor = first["items"][0]["id"], want[5], first["items"][-1]
    Product.objects.filter(pk=read).update(updated_at=timezone.now())
    give_stock(Product.objects.get(pk=ahead), branch, 1)  # its stock row's time wins now
    give_stock(Product.objects.get(pk=cursor["id"]), branch, 1)  # the cursor's own row
    rest, totals = sync(
        manager_api,
        timezone.datetime.fromisoformat(cursor["updated_at"]),
        3,
        after_id=cursor["id"],
    )
    seen = [item["id"] for item in first["items"]] + rest
    changed = [read, ahead, cursor["id"]]
    assert seen == want[:3] + [pk for pk in want[3:] if pk not in changed] + changed
    assert totals[0] == len(rest)


def test_a_sync_page_costs_the_same_queries_whatever_its_size(
    manager_api, branch, django_capture_on_commit_callbacks
):
    since = timezone.now() - timedelta(minutes=1)
    manager_api.get(URL, {"limit": 1})  # the caller is known from here on
    statements = []
    for count in (1, 30):
        with django_capture_on_commit_callbacks(execute=True):  # the cache versions move
            for product in ProductFactory.create_batch(count):
                give_stock(product, branch, 1)
        with CaptureQueriesContext(connection) as queries:
            body = manager_api.get(URL, {"updated_since": since.isoformat(), "limit": 100}).json()
        assert len(body["items"]) == body["total"] >= count
        statements.append([q["sql"] for q in queries.captured_queries if "catalog_" in q["sql"]])
    # the two counts (own times, stock times), the two parts, the page; none per row
    assert [len(s) for s in statements] == [5, 5]

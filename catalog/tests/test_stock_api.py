"""Stock through the HTTP API: adjustments, transfers, low stock, the ledger, concurrency."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from accounts.tests.test_auth_api import assert_problem
from catalog.metrics import low_stock_gauge
from catalog.models import MovementReason, StockLevel, StockMovement
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock, ledger_sum, level
from conftest import client_for

pytestmark = pytest.mark.django_db

UNKNOWN = "6f1c1c1e-0000-4000-8000-000000000000"


def stock_url(product) -> str:
    return f"/api/v1/products/{product.pk}/stock"


# --- PATCH /products/{id}/stock --------------------------------------------------------------


def test_manager_adds_stock_with_a_signed_delta(manager_api, manager, branch):
    product = ProductFactory()
    give_stock(product, branch, 3)
    response = manager_api.patch(
        stock_url(product), {"quantity": 12, "reason": "stock_purchase", "note": "PO-7"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "branch_id", "old_stock", "new_stock", "movement_id", "updated_at"}
    assert (body["id"], body["branch_id"]) == (str(product.pk), str(branch.pk))
    assert (body["old_stock"], body["new_stock"]) == (3, 15)
    movement = StockMovement.objects.get(pk=body["movement_id"])
    assert (movement.quantity, movement.balance_after, movement.reason, movement.note) == (
        12, 15, "stock_purchase", "PO-7",
    )  # fmt: skip
    assert movement.user == manager
    assert level(product, branch) == 15 == ledger_sum(product, branch)


def test_a_count_sets_the_absolute_stock(manager_api, branch):
    product = ProductFactory()
    give_stock(product, branch, 10)
    body = manager_api.patch(
        stock_url(product), {"new_stock": 7, "reason": "stock_count"}, format="json"
    ).json()
    assert (body["old_stock"], body["new_stock"]) == (10, 7)
    assert StockMovement.objects.get(pk=body["movement_id"]).quantity == -3
    same = manager_api.patch(
        stock_url(product), {"new_stock": 7, "reason": "stock_count"}, format="json"
    )
    assert same.status_code == 200
    assert (same.json()["old_stock"], same.json()["movement_id"]) == (7, None)
    assert level(product, branch) == 7 == ledger_sum(product, branch)


def test_shortage_is_409_and_writes_nothing(manager_api, branch):
    product = ProductFactory()
    give_stock(product, branch, 2)
    response = manager_api.patch(
        stock_url(product), {"quantity": -3, "reason": "damage"}, format="json"
    )
    body = assert_problem(response, 409, "insufficient_stock")
    assert (body["errors"][0]["requested"], body["errors"][0]["available"]) == (3, 2)
    assert level(product, branch) == 2 == ledger_sum(product, branch)
    assert StockMovement.objects.count() == 1


def test_negative_stock_when_the_setting_allows_it(manager_api, branch, settings):
    settings.POSPRO_ALLOW_NEGATIVE_STOCK = True
    product = ProductFactory()
    body = manager_api.patch(
        stock_url(product), {"quantity": -2, "reason": "loss"}, format="json"
    ).json()
    assert body["new_stock"] == -2
    assert level(product, branch) == -2 == ledger_sum(product, branch)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"quantity": 0, "reason": "adjustment"}, "quantity"),
        ({"quantity": 1.5, "reason": "adjustment"}, "quantity"),
        ({"new_stock": -1, "reason": "stock_count"}, "new_stock"),
        ({"quantity": 1, "reason": "theft"}, "reason"),
        ({"quantity": 1, "reason": "sale"}, "reason"),
        ({"quantity": 1, "reason": "initial"}, "reason"),
        ({"quantity": 1}, "reason"),
        ({"quantity": 1, "new_stock": 4, "reason": "adjustment"}, None),
        ({"reason": "adjustment"}, None),
        ({"quantity": 1, "reason": "adjustment", "branch_id": "x"}, "branch_id"),
    ],
)
def test_adjustment_validation(manager_api, branch, payload, field):
    product = ProductFactory()
    body = assert_problem(
        manager_api.patch(stock_url(product), payload, format="json"), 400, "validation_error"
    )
    assert [error["field"] for error in body["errors"]] == [field]
    assert not StockMovement.objects.exists()


def test_malformed_json_is_400(manager_api):
    product = ProductFactory()
    response = manager_api.patch(
        stock_url(product), data='{"quantity": 1,', content_type="application/json"
    )
    assert_problem(response, 400, "parse_error")


def test_cashier_cannot_change_stock(cashier_api, branch):
    product = ProductFactory()
    response = cashier_api.patch(
        stock_url(product), {"quantity": 1, "reason": "adjustment"}, format="json"
    )
    assert_problem(response, 403, "permission_denied")
    assert not StockMovement.objects.exists()


def test_manager_changes_stock_only_at_their_own_branch(manager_api, branch, other_branch):
    product = ProductFactory()
    payload = {"quantity": 1, "reason": "adjustment"}
    other = manager_api.patch(
        stock_url(product), {**payload, "branch_id": str(other_branch.pk)}, format="json"
    )
    assert_problem(other, 403, "permission_denied")
    own = manager_api.patch(
        stock_url(product), {**payload, "branch_id": str(branch.pk)}, format="json"
    )
    assert own.status_code == 200
    assert level(product, other_branch) == 0
    assert level(product, branch) == 1


def test_admin_names_the_branch(admin_api, other_branch):
    product = ProductFactory()
    payload = {"quantity": 4, "reason": "stock_purchase"}
    body = assert_problem(admin_api.patch(stock_url(product), payload, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert body["errors"][0]["field"] == "branch_id"
    response = admin_api.patch(
        stock_url(product), {**payload, "branch_id": str(other_branch.pk)}, format="json"
    )
    assert response.json()["new_stock"] == 4
    assert level(product, other_branch) == 4 == ledger_sum(product, other_branch)
    unknown = admin_api.patch(stock_url(product), {**payload, "branch_id": UNKNOWN}, format="json")
    assert_problem(unknown, 404, "not_found")


def test_unknown_product_is_404(manager_api):
    response = manager_api.patch(
        f"/api/v1/products/{UNKNOWN}/stock", {"quantity": 1, "reason": "adjustment"}, format="json"
    )
    assert_problem(response, 404, "not_found")


def test_stock_change_shows_in_the_next_reads(
    manager_api, branch, django_capture_on_commit_callbacks
):
    product = ProductFactory(barcode="4242")
    assert manager_api.get(f"/api/v1/products/{product.pk}").json()["stock"] == 0
    assert manager_api.get("/api/v1/products/barcode/4242").json()["stock"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        manager_api.patch(stock_url(product), {"quantity": 5, "reason": "return"}, format="json")
    assert manager_api.get(f"/api/v1/products/{product.pk}").json()["stock"] == 5
    assert manager_api.get("/api/v1/products/barcode/4242").json()["stock"] == 5
    assert manager_api.get("/api/v1/products").json()["items"][0]["stock"] == 5


# --- POST /stock/transfers ---------------------------------------------------------------------

TRANSFERS = "/api/v1/stock/transfers"


def transfer(product, source, target, quantity=4, **extra) -> dict:
    return {
        "product_id": str(product.pk),
        "from_branch_id": str(source.pk),
        "to_branch_id": str(target.pk),
        "quantity": quantity,
        **extra,
    }


def test_manager_transfers_from_own_branch(manager_api, manager, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 10)
    response = manager_api.post(
        TRANSFERS, transfer(product, branch, other_branch, note="restock Ankara"), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["quantity"], body["note"], body["to_branch_id"]) == (
        4, "restock Ankara", str(other_branch.pk),
    )  # fmt: skip
    assert [(m["reason"], m["quantity"], m["balance_after"]) for m in body["movements"]] == [
        ("transfer_out", -4, 6),
        ("transfer_in", 4, 4),
    ]
    assert {m.user for m in StockMovement.objects.filter(reason__startswith="transfer")} == {
        manager
    }
    assert level(product, branch) == 6 == ledger_sum(product, branch)
    assert level(product, other_branch) == 4 == ledger_sum(product, other_branch)


def test_transfer_larger_than_stock_is_409_and_writes_nothing(manager_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 3)
    response = manager_api.post(
        TRANSFERS, transfer(product, branch, other_branch, quantity=5), format="json"
    )
    assert_problem(response, 409, "insufficient_stock")
    assert level(product, branch) == 3
    assert level(product, other_branch) == 0
    assert not StockMovement.objects.filter(reason__startswith="transfer").exists()


def test_manager_cannot_transfer_from_another_branch(manager_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, other_branch, 5)
    response = manager_api.post(TRANSFERS, transfer(product, other_branch, branch), format="json")
    assert_problem(response, 403, "permission_denied")
    assert level(product, other_branch) == 5


def test_admin_transfers_between_any_branches(admin_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, other_branch, 5)
    response = admin_api.post(TRANSFERS, transfer(product, other_branch, branch, 5), format="json")
    assert response.status_code == 201
    assert (level(product, other_branch), level(product, branch)) == (0, 5)


def test_cashier_cannot_transfer(cashier_api, branch, other_branch):
    product = ProductFactory()
    response = cashier_api.post(TRANSFERS, transfer(product, branch, other_branch), format="json")
    assert_problem(response, 403, "permission_denied")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": -2}, "quantity"),
        ({"product_id": "x"}, "product_id"),
    ],
)
def test_transfer_validation(manager_api, branch, other_branch, change, field):
    product = ProductFactory()
    give_stock(product, branch, 5)
    response = manager_api.post(
        TRANSFERS, {**transfer(product, branch, other_branch), **change}, format="json"
    )
    body = assert_problem(response, 400, "validation_error")
    assert body["errors"][0]["field"] == field


def test_transfer_to_the_same_branch_is_400(manager_api, branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    response = manager_api.post(TRANSFERS, transfer(product, branch, branch), format="json")
    assert assert_problem(response, 400, "validation_error")["errors"][0]["field"] == "to_branch_id"


def test_transfer_of_unknown_things_is_404(manager_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    body = transfer(product, branch, other_branch)
    assert_problem(
        manager_api.post(TRANSFERS, {**body, "product_id": UNKNOWN}, format="json"), 404,
        "not_found",
    )  # fmt: skip
    assert_problem(
        manager_api.post(TRANSFERS, {**body, "to_branch_id": UNKNOWN}, format="json"), 404,
        "not_found",
    )  # fmt: skip
    assert level(product, branch) == 5


# --- GET /products/low-stock ---------------------------------------------------------------------

LOW = "/api/v1/products/low-stock"


def test_low_stock_uses_each_products_critical_level(cashier_api, branch, other_branch):
    empty = ProductFactory(name="Empty", critical_stock_level=5)
    short = ProductFactory(name="Short", critical_stock_level=10)
    at_level = ProductFactory(name="AtLevel", critical_stock_level=4)
    plenty = ProductFactory(name="Plenty", critical_stock_level=2)
    gone = ProductFactory(name="Inactive", critical_stock_level=9, is_active=False)
    give_stock(empty, branch, 2)
    give_stock(empty, branch, -2, reason=MovementReason.SALE)  # carried, sold out
    give_stock(short, branch, 3)
    give_stock(at_level, branch, 4)
    give_stock(plenty, branch, 8)
    give_stock(gone, branch, 1)
    body = cashier_api.get(LOW).json()
    assert body == {
        "total_low_stock": 3, "skip": 0, "limit": 20,
        "items": [
            {"id": str(short.pk), "name": "Short", "current_stock": 3, "critical_level": 10,
             "shortage": 7},
            {"id": str(empty.pk), "name": "Empty", "current_stock": 0, "critical_level": 5,
             "shortage": 5},
            {"id": str(at_level.pk), "name": "AtLevel", "current_stock": 4, "critical_level": 4,
             "shortage": 0},
        ],
    }  # fmt: skip


def test_low_stock_counts_only_what_the_branch_carries(
    cashier_api, admin_api, branch, other_branch, django_capture_on_commit_callbacks
):
    """A product the branch never stocked is not low there; an admin without a branch sees
    every branch's rows, each on its own."""
    never_here = ProductFactory(name="Elsewhere", critical_stock_level=5)
    ProductFactory(name="Never stocked", critical_stock_level=5)
    give_stock(never_here, other_branch, 1)
    assert cashier_api.get(LOW).json()["total_low_stock"] == 0
    mine = ProductFactory(name="Mine", critical_stock_level=5)
    with django_capture_on_commit_callbacks(execute=True):  # the cache versions move on commit
        give_stock(mine, branch, 2)
    assert [i["name"] for i in cashier_api.get(LOW).json()["items"]] == ["Mine"]
    other = cashier_api.get(LOW, {"branch_id": str(other_branch.pk)}).json()
    assert [(i["name"], i["current_stock"]) for i in other["items"]] == [("Elsewhere", 1)]
    every = admin_api.get(LOW).json()
    assert every["total_low_stock"] == 2
    assert [(i["name"], i["shortage"]) for i in every["items"]] == [("Elsewhere", 4), ("Mine", 3)]


def test_low_stock_with_threshold_and_branch(admin_api, branch, other_branch):
    a = ProductFactory(name="A", critical_stock_level=0)
    b = ProductFactory(name="B", critical_stock_level=0)
    give_stock(a, branch, 6)
    give_stock(b, branch, 20)
    give_stock(b, other_branch, 1)
    body = admin_api.get(LOW, {"threshold": 10, "branch_id": str(branch.pk)}).json()
    assert [(i["name"], i["critical_level"], i["shortage"]) for i in body["items"]] == [
        ("A", 10, 4)
    ]
    other = admin_api.get(LOW, {"threshold": 10, "branch_id": str(other_branch.pk)}).json()
    assert [(i["name"], i["shortage"]) for i in other["items"]] == [("B", 9)]


def test_low_stock_is_paginated_most_short_first_with_a_stable_order(manager_api, branch):
    products = [ProductFactory(name=f"P{n}", critical_stock_level=10) for n in range(7)]
    for n, product in enumerate(products):
        give_stock(product, branch, 1 + n // 2)  # shortages 9, 9, 8, 8, 7, 7, 6
    pages = [manager_api.get(LOW, {"skip": skip, "limit": 3}).json() for skip in (0, 3, 6)]
    assert [page["total_low_stock"] for page in pages] == [7, 7, 7]
    assert [(page["skip"], page["limit"]) for page in pages] == [(0, 3), (3, 3), (6, 3)]
    names = [item["name"] for page in pages for item in page["items"]]
    assert names == [f"P{n}" for n in range(7)]


@pytest.mark.parametrize(
    "query", ["threshold=-1", "threshold=x", "branch_id=x", "limit=0", "skip=-1"]
)
def test_low_stock_validation(manager_api, query):
    assert_problem(manager_api.get(f"{LOW}?{query}"), 400, "validation_error")


def test_the_low_stock_gauge_counts_the_same_rows_per_branch(branch, other_branch):
    for name, stocked_at, quantity in (("A", branch, 1), ("B", branch, 9), ("C", other_branch, 0)):
        give_stock(ProductFactory(name=name, critical_stock_level=5), stocked_at, quantity or 1)
    give_stock(ProductFactory(name="Never stocked", critical_stock_level=5), branch, 0)
    name, _, samples = low_stock_gauge()
    assert name == "pospro_low_stock_products"
    assert sorted((labels["branch"], value) for labels, value in samples) == [
        ("ANK-01", 1), ("IST-01", 1)
    ]  # fmt: skip


@pytest.mark.parametrize("count", [1, 30])
def test_low_stock_queries(manager_api, branch, django_assert_num_queries, count):
    for product in ProductFactory.create_batch(count):
        give_stock(product, branch, 1)
    with django_assert_num_queries(2):  # user, the page with its count (a window)
        body = manager_api.get(LOW, {"limit": 100}).json()
    assert body["total_low_stock"] == len(body["items"]) == count


def test_low_stock_past_the_last_page_still_counts(manager_api, branch, django_assert_num_queries):
    for product in ProductFactory.create_batch(3, critical_stock_level=5):
        give_stock(product, branch, 1)
    with django_assert_num_queries(3):  # user, the empty page, then the count alone
        body = manager_api.get(LOW, {"skip": 10}).json()
    assert (body["total_low_stock"], body["items"]) == (3, [])


@pytest.mark.parametrize("query", [{}, {"threshold": 5}])
def test_low_stock_leaves_out_inactive_products_for_every_bound(
    admin_api, branch, other_branch, query
):
    """Each row reads its product by key: an inactive product has no bound, with or without a
    threshold, at one branch or summed over all of them."""
    active = ProductFactory(name="Active", critical_stock_level=5)
    gone = ProductFactory(name="Gone", critical_stock_level=5, is_active=False)
    for product in (active, gone):
        give_stock(product, branch, 1)
        give_stock(product, other_branch, 2)
    every = admin_api.get(LOW, query).json()
    assert [(i["name"], i["current_stock"]) for i in every["items"]] == [
        ("Active", 1),
        ("Active", 2),
    ]
    assert every["total_low_stock"] == 2
    one = admin_api.get(LOW, {**query, "branch_id": str(other_branch.pk)}).json()
    assert [(i["name"], i["shortage"]) for i in one["items"]] == [("Active", 3)]


# --- GET /products/{id}/movements ----------------------------------------------------------------


def movements_url(product) -> str:
    return f"/api/v1/products/{product.pk}/movements"


def test_movements_newest_first_paginated(admin_api, manager, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    give_stock(product, other_branch, 2)
    client_for(manager).patch(
        stock_url(product), {"quantity": -1, "reason": "damage", "note": "dropped"}, format="json"
    )
    now = timezone.now()
    for minutes, movement in enumerate(StockMovement.objects.order_by("created_at")):
        StockMovement.objects.filter(pk=movement.pk).update(
            created_at=now - timedelta(minutes=10 - minutes)
        )
    body = admin_api.get(movements_url(product)).json()
    assert body["total"] == 3
    first = body["items"][0]
    assert set(first) == {
        "id", "branch_id", "quantity", "balance_after", "reason", "note", "order_id", "user_id",
        "created_at",
    }  # fmt: skip
    assert (first["reason"], first["quantity"], first["balance_after"], first["note"]) == (
        "damage", -1, 4, "dropped",
    )  # fmt: skip
    assert (first["user_id"], first["order_id"]) == (str(manager.pk), None)
    assert [item["reason"] for item in body["items"]] == [
        "damage",
        "stock_purchase",
        "stock_purchase",
    ]
    page = admin_api.get(movements_url(product), {"skip": 1, "limit": 1}).json()
    assert [item["branch_id"] for item in page["items"]] == [str(other_branch.pk)]
    only = admin_api.get(movements_url(product), {"branch_id": str(other_branch.pk)}).json()
    assert only["total"] == 1
    assert_problem(admin_api.get(f"{movements_url(product)}?limit=101"), 400, "validation_error")


def test_managers_see_their_own_branch_ledger_only(manager_api, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 5)
    give_stock(product, other_branch, 2)
    body = manager_api.get(movements_url(product)).json()
    assert [item["branch_id"] for item in body["items"]] == [str(branch.pk)]
    other = manager_api.get(movements_url(product), {"branch_id": str(other_branch.pk)})
    assert_problem(other, 403, "permission_denied")


def test_cashiers_cannot_read_the_ledger(cashier_api):
    product = ProductFactory()
    assert_problem(cashier_api.get(movements_url(product)), 403, "permission_denied")


def test_movements_of_unknown_product_is_404(admin_api):
    assert_problem(admin_api.get(f"/api/v1/products/{UNKNOWN}/movements"), 404, "not_found")


@pytest.mark.parametrize("count", [1, 40])
def test_movements_queries(manager_api, branch, django_assert_num_queries, count):
    product = ProductFactory()
    for _ in range(count):
        give_stock(product, branch, 1)
    with django_assert_num_queries(4):  # user, product, count, page
        body = manager_api.get(movements_url(product), {"limit": 50}).json()
    assert len(body["items"]) == count


# --- concurrency -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_parallel_http_adjustments_lose_no_update_and_never_oversell(branch, manager):
    """Real threads, each with its own client and connection, hit the same stock row at once."""
    assert connection.vendor == "postgresql"
    product = ProductFactory()
    give_stock(product, branch, 10)
    count = 16
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def work(index: int) -> None:
        try:
            client = client_for(manager)
            barrier.wait(timeout=10)
            payload = {"quantity": -1, "reason": "damage"}
            results[index] = client.patch(stock_url(product), payload, format="json")
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [200] * 10 + [409] * 6, results
    done = [r.json() for r in results if r.status_code == 200]
    # Every change saw the one before it: the answers walk 10 -> 0 one step at a time.
    assert sorted((b["old_stock"], b["new_stock"]) for b in done) == [(n + 1, n) for n in range(10)]
    assert level(product, branch) == 0 == ledger_sum(product, branch)
    assert StockMovement.objects.filter(reason="damage").count() == 10
    assert StockLevel.objects.get(product=product).quantity == 0

"""Products through the HTTP API: reads, filters, ordering, context stock, writes, roles."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.tests.test_auth_api import assert_problem
from catalog.models import Category, Product, StockMovement
from catalog.tests.factories import CategoryFactory, ProductFactory
from catalog.tests.stock import give_stock, ledger_sum, level
from conftest import client_for

pytestmark = pytest.mark.django_db

URL = "/api/v1/products"
FIELDS = {
    "id", "name", "barcode", "sku", "category", "price", "cost_price", "stock",
    "critical_stock_level", "vat_rate", "image_url", "is_active", "created_at", "updated_at",
}  # fmt: skip


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["name"] for item in response.json()["items"]]


# --- reading -------------------------------------------------------------------------------------


def test_every_role_reads_the_list_cashiers_without_cost(cashier_api, manager_api, admin_api):
    ProductFactory(name="Tea", price=Decimal("999.99"), cost_price=Decimal("12.50"))
    for client, fields in (
        (cashier_api, FIELDS - {"cost_price"}),
        (manager_api, FIELDS),
        (admin_api, FIELDS),
    ):
        body = client.get(URL).json()
        assert (body["total"], body["skip"], body["limit"]) == (1, 0, 20)
        item = body["items"][0]
        assert set(item) == fields
        assert item["price"] == 999.99
        assert item["vat_rate"] == 0.18
    assert "cost_price" not in cashier_api.get(URL).json()["items"][0]
    assert manager_api.get(URL).json()["items"][0]["cost_price"] == 12.5


def test_anonymous_is_refused(api):
    assert_problem(api.get(URL), 401, "not_authenticated")


def test_list_shows_active_products_by_default(cashier_api):
    ProductFactory(name="Active")
    ProductFactory(name="Gone", is_active=False)
    assert names(cashier_api.get(URL)) == ["Active"]
    assert names(cashier_api.get(f"{URL}?is_active=true")) == ["Active"]
    assert names(cashier_api.get(f"{URL}?is_active=false")) == ["Gone"]
    assert names(cashier_api.get(f"{URL}?is_active=all")) == ["Active", "Gone"]
    assert_problem(cashier_api.get(f"{URL}?is_active=maybe"), 400, "validation_error")


def test_category_filter_is_case_insensitive_and_exact(cashier_api):
    ProductFactory(name="Cola", category=CategoryFactory(name="Drinks"))
    ProductFactory(name="Soft drink cup", category=CategoryFactory(name="Drinkware"))
    ProductFactory(name="Loose", category=None)
    assert names(cashier_api.get(f"{URL}?category=drinks")) == ["Cola"]
    assert names(cashier_api.get(f"{URL}?category=DRINKWARE")) == ["Soft drink cup"]
    assert names(cashier_api.get(f"{URL}?category=nothing")) == []


def test_search_covers_name_barcode_and_sku(cashier_api):
    ProductFactory(name="Turkish Coffee", barcode="8690001", sku="TC-1")
    ProductFactory(name="Green Tea", barcode="8690777", sku="GT-1")
    ProductFactory(name="Apple", barcode="5550001", sku="FRUIT-coffee")
    assert names(cashier_api.get(f"{URL}?search=COFFEE")) == ["Apple", "Turkish Coffee"]
    assert names(cashier_api.get(f"{URL}?search=0777")) == ["Green Tea"]
    assert names(cashier_api.get(f"{URL}?search=gt-")) == ["Green Tea"]


@pytest.mark.parametrize("column", ["name", "barcode", "sku"])
def test_search_uses_the_trigram_indexes(column):
    """`search` compares UPPER(column) LIKE: the trigram indexes on those expressions serve it
    (asked for with sequential scans off, as a large catalog's statistics would)."""
    ProductFactory.create_batch(3)
    queryset = Product.objects.filter(**{f"{column}__icontains": "coffee"})
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert f"catalog_product_{column}_trgm" in plan


def test_prepared_statements_keep_plans_made_for_their_parameters():
    """A prepared search reused past psycopg's threshold must not switch to a generic plan that
    cannot see its pattern (it walked the name index for 140-500 ms on 100,000 products)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        assert cursor.fetchone()[0] == "force_custom_plan"


def test_barcode_filter_is_exact(cashier_api):
    ProductFactory(name="A", barcode="12345")
    ProductFactory(name="B", barcode="123456")
    assert names(cashier_api.get(f"{URL}?barcode=12345")) == ["A"]
    assert names(cashier_api.get(f"{URL}?barcode=1234")) == []


def test_price_range(cashier_api):
    for name, price in (("Cheap", "1.00"), ("Mid", "10.00"), ("Dear", "100.00")):
        ProductFactory(name=name, price=Decimal(price))
    assert names(cashier_api.get(f"{URL}?min_price=10")) == ["Dear", "Mid"]
    assert names(cashier_api.get(f"{URL}?max_price=10.00")) == ["Cheap", "Mid"]
    assert names(cashier_api.get(f"{URL}?min_price=2&max_price=50")) == ["Mid"]
    assert_problem(cashier_api.get(f"{URL}?min_price=abc"), 400, "validation_error")


def test_updated_since_sees_edits_deactivations_and_stock_at_the_context_branch(
    manager_api, branch, other_branch, django_capture_on_commit_callbacks
):
    edited, deactivated, restocked, elsewhere, untouched = (
        ProductFactory(name=name) for name in ("Edited", "Deactivated", "Restocked", "Else", "Old")
    )
    old = timezone.now() - timedelta(hours=1)
    Product.objects.update(updated_at=old, created_at=old)
    since = (timezone.now() - timedelta(minutes=1)).isoformat()

    assert names(manager_api.get(URL, {"updated_since": since})) == []
    with django_capture_on_commit_callbacks(execute=True):  # the cache versions move on commit
        manager_api.patch(f"{URL}/{edited.pk}", {"price": 11}, format="json")
        manager_api.delete(f"{URL}/{deactivated.pk}")
        give_stock(restocked, branch, 3)
        give_stock(elsewhere, other_branch, 3)

    body = manager_api.get(URL, {"updated_since": since}).json()
    # Ordered by updated_at, id: in the order of the writes.
    assert [item["name"] for item in body["items"]] == ["Edited", "Deactivated", "Restocked"]
    assert [item["is_active"] for item in body["items"]] == [True, False, True]
    restocked_item = body["items"][2]
    assert restocked_item["stock"] == 3
    assert restocked_item["updated_at"] > since, "stock changes move updated_at too"
    # Seen from the other branch, that branch's restock counts instead.
    other = manager_api.get(URL, {"updated_since": since, "branch_id": other_branch.pk})
    assert names(other) == ["Edited", "Deactivated", "Else"]
    # Explicit is_active still applies; an unencoded "+" offset is understood.
    assert names(manager_api.get(URL, {"updated_since": since, "is_active": "true"})) == [
        "Edited",
        "Restocked",
    ]
    plus = since.replace("+", " ")
    assert len(names(manager_api.get(f"{URL}?updated_since={plus}"))) == 3
    assert untouched.name not in names(manager_api.get(URL, {"updated_since": since}))
    assert_problem(manager_api.get(f"{URL}?updated_since=yesterday"), 400, "validation_error")


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("name", ["Apple", "Banana", "Cherry"]),
        ("-name", ["Cherry", "Banana", "Apple"]),
        ("price", ["Banana", "Cherry", "Apple"]),
        ("-price", ["Apple", "Cherry", "Banana"]),
        ("stock", ["Cherry", "Apple", "Banana"]),
        ("-stock", ["Banana", "Apple", "Cherry"]),
        ("created_at", ["Banana", "Apple", "Cherry"]),
        ("-created_at", ["Cherry", "Apple", "Banana"]),
        ("updated_at", ["Apple", "Cherry", "Banana"]),
        ("-updated_at", ["Banana", "Cherry", "Apple"]),
    ],
)
def test_ordering(manager_api, branch, ordering, expected):
    now = timezone.now()
    rows = {  # name: (price, stock, created minutes ago, updated minutes ago)
        "Banana": ("1.00", 9, 30, 1),
        "Apple": ("5.00", 4, 20, 10),
        "Cherry": ("3.00", 0, 10, 5),
    }
    for name, (price, stock, created, updated) in rows.items():
        product = ProductFactory(name=name, price=Decimal(price))
        if stock:
            give_stock(product, branch, stock)
        Product.objects.filter(pk=product.pk).update(
            created_at=now - timedelta(minutes=created),
            updated_at=now - timedelta(minutes=updated),
        )
    from catalog.models import StockLevel

    StockLevel.objects.update(updated_at=now - timedelta(days=1))
    assert names(manager_api.get(URL, {"ordering": ordering})) == expected


def test_ties_are_broken_by_id_so_pages_never_overlap(cashier_api):
    ProductFactory.create_batch(7, price=Decimal("5.00"))
    seen = []
    for skip in range(0, 7, 3):
        body = cashier_api.get(URL, {"ordering": "price", "skip": skip, "limit": 3}).json()
        seen += [item["id"] for item in body["items"]]
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)


def test_unknown_ordering_is_400(cashier_api):
    body = assert_problem(cashier_api.get(f"{URL}?ordering=cost_price"), 400, "validation_error")
    assert body["errors"][0]["field"] == "ordering"


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "skip=-1", "limit=x"])
def test_pagination_bounds(cashier_api, query):
    assert_problem(cashier_api.get(f"{URL}?{query}"), 400, "validation_error")


def test_pagination(cashier_api):
    ProductFactory.create_batch(5)
    body = cashier_api.get(f"{URL}?skip=3&limit=100").json()
    assert (body["total"], body["skip"], body["limit"], len(body["items"])) == (5, 3, 100, 2)


def test_stock_is_at_the_context_branch(
    cashier_api,
    manager_api,
    admin_api,
    branch,
    other_branch,
    admin_user,
    django_capture_on_commit_callbacks,
):
    product = ProductFactory()
    give_stock(product, branch, 7)
    give_stock(product, other_branch, 5)

    def stock(client, query=""):
        return client.get(f"{URL}{query}").json()["items"][0]["stock"]

    assert stock(cashier_api) == 7
    assert stock(manager_api) == 7
    assert stock(admin_api) == 12, "an admin without a branch sees the chain's total"
    assert stock(admin_api, f"?branch_id={other_branch.pk}") == 5
    assert stock(cashier_api, f"?branch_id={other_branch.pk}") == 5, "stock reads are chain-wide"
    with django_capture_on_commit_callbacks(execute=True):  # a commit moves the users' version
        admin_user.branch = other_branch
        admin_user.save()
    assert stock(client_for(admin_user)) == 5
    assert_problem(
        admin_api.get(f"{URL}?branch_id=6f1c1c1e-0000-4000-8000-000000000000"), 404, "not_found"
    )
    assert_problem(admin_api.get(f"{URL}?branch_id=nope"), 400, "validation_error")


def test_products_without_stock_show_zero(manager_api):
    ProductFactory()
    assert manager_api.get(URL).json()["items"][0]["stock"] == 0


@pytest.mark.parametrize("count", [1, 50])
def test_list_runs_constant_queries(cashier_api, branch, django_assert_num_queries, count):
    for product in ProductFactory.create_batch(count):
        give_stock(product, branch, 2)
    with django_assert_num_queries(3):  # user, count, page (stock and category joined in)
        response = cashier_api.get(f"{URL}?limit=50")
    assert len(response.json()["items"]) == count


def test_updated_since_with_after_id_continues_after_the_last_item(manager_api, branch):
    """A sync pages with the last item's updated_at and id: products changed at that same
    instant are neither repeated nor skipped, and later ones follow."""
    same = timezone.now() - timedelta(minutes=5)
    tied = ProductFactory.create_batch(5)
    later = ProductFactory(name="Later")
    Product.objects.filter(pk__in=[p.pk for p in tied]).update(updated_at=same)
    Product.objects.filter(pk=later.pk).update(updated_at=same + timedelta(seconds=1))
    expected = [str(p.pk) for p in sorted(tied, key=lambda p: p.pk)] + [str(later.pk)]

    seen, query = [], {"updated_since": (same - timedelta(seconds=1)).isoformat(), "limit": 2}
    while True:
        items = manager_api.get(URL, query).json()["items"]
        if not items:
            break
        seen += [item["id"] for item in items]
        query = {"updated_since": items[-1]["updated_at"], "after_id": items[-1]["id"], "limit": 2}
    assert seen == expected
    assert_problem(manager_api.get(URL, {**query, "after_id": "nope"}), 400, "validation_error")


def test_the_lists_total_counts_the_filtered_rows(manager_api):
    ProductFactory.create_batch(3)
    ProductFactory(name="Imported", is_active=False)
    totals = [
        manager_api.get(URL, {"is_active": which}).json()["total"]
        for which in ("true", "false", "all")
    ]
    assert totals == [3, 1, 4]
    assert manager_api.get(URL, {"search": "import", "is_active": "all"}).json()["total"] == 1


def test_a_deep_page_is_the_same_as_ordering_everything(cashier_api, branch):
    products = ProductFactory.create_batch(9, price=Decimal("5.00"))
    give_stock(products[4], branch, 3)
    ordered = sorted(products, key=lambda p: (p.name, p.pk))
    body = cashier_api.get(URL, {"skip": 6, "limit": 5}).json()
    assert [item["id"] for item in body["items"]] == [str(p.pk) for p in ordered[6:]]
    stock_first = cashier_api.get(URL, {"ordering": "-stock", "skip": 0, "limit": 1}).json()
    assert stock_first["items"][0]["id"] == str(products[4].pk)


# --- detail and barcode --------------------------------------------------------------------------


def test_detail_with_stock_by_branch(manager_api, branch, other_branch):
    product = ProductFactory(name="Cola", category=CategoryFactory(name="Drinks"))
    give_stock(product, other_branch, 4)
    body = manager_api.get(f"{URL}/{product.pk}").json()
    assert set(body) == FIELDS | {"stock_by_branch"}
    assert body["category"] == "Drinks"
    assert body["stock"] == 0
    assert body["stock_by_branch"] == [
        {"branch_id": str(other_branch.pk), "branch_code": "ANK-01", "stock": 4},
        {"branch_id": str(branch.pk), "branch_code": "IST-01", "stock": 0},
    ]
    assert manager_api.get(f"{URL}/{product.pk}/").status_code == 200


def test_detail_of_unknown_or_malformed_id_is_404(cashier_api):
    assert_problem(cashier_api.get(f"{URL}/6f1c1c1e-0000-4000-8000-000000000000"), 404, "not_found")
    assert_problem(cashier_api.get(f"{URL}/not-a-uuid"), 404, "not_found")


def test_detail_shows_deactivated_products(cashier_api):
    product = ProductFactory(is_active=False)
    body = cashier_api.get(f"{URL}/{product.pk}").json()
    assert body["is_active"] is False
    assert "cost_price" not in body


def test_detail_queries(cashier_api, branch, other_branch, django_assert_num_queries):
    product = ProductFactory()
    give_stock(product, branch, 1)
    with django_assert_num_queries(3):  # user, product with stock, stock per branch
        assert cashier_api.get(f"{URL}/{product.pk}").status_code == 200


def test_barcode_lookup(cashier_api, manager_api, branch):
    product = ProductFactory(name="Cola", barcode="8690000000017")
    give_stock(product, branch, 6)
    response = cashier_api.get(f"{URL}/barcode/8690000000017")
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["stock"]) == (str(product.pk), 6)
    assert set(body) == FIELDS - {"cost_price"}
    assert "cost_price" in manager_api.get(f"{URL}/barcode/8690000000017/").json()


def test_barcode_lookup_is_exact_and_active_only(cashier_api):
    ProductFactory(barcode="111", is_active=False)
    ProductFactory(barcode="2222")
    assert_problem(cashier_api.get(f"{URL}/barcode/111"), 404, "not_found")
    assert_problem(cashier_api.get(f"{URL}/barcode/222"), 404, "not_found")


def test_barcode_lookup_queries(cashier_api, django_assert_num_queries):
    ProductFactory(barcode="8690000000017")
    with django_assert_num_queries(2):  # user, product
        assert cashier_api.get(f"{URL}/barcode/8690000000017").status_code == 200


def test_special_paths_are_not_taken_for_ids(cashier_api):
    assert cashier_api.get(f"{URL}/low-stock").status_code == 200
    assert cashier_api.get(f"{URL}/low-stock/").status_code == 200
    assert_problem(cashier_api.get(f"{URL}/barcode/none"), 404, "not_found")


# --- creating ------------------------------------------------------------------------------------

NEW = {
    "name": "Turkish Coffee 100g",
    "barcode": "8690000000123",
    "sku": "TC-100",
    "category": "Coffee",
    "price": 89.9,
    "cost_price": 55.25,
    "vat_rate": 0.18,
    "critical_stock_level": 10,
    "image_url": "https://cdn.example.com/tc.png",
}


def test_manager_creates_a_product_with_initial_stock(manager_api, manager, branch):
    response = manager_api.post(URL, {**NEW, "stock": 24}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS | {"stock_by_branch"}
    assert (body["name"], body["category"], body["price"], body["cost_price"]) == (
        "Turkish Coffee 100g",
        "Coffee",
        89.9,
        55.25,
    )
    assert (body["vat_rate"], body["stock"], body["is_active"]) == (0.18, 24, True)
    product = Product.objects.get(pk=body["id"])
    assert product.price == Decimal("89.90")
    movement = StockMovement.objects.get(product=product)
    assert (movement.reason, movement.quantity, movement.branch, movement.user) == (
        "initial",
        24,
        branch,
        manager,
    )
    assert level(product, branch) == 24 == ledger_sum(product, branch)


def test_unknown_category_name_is_created_known_one_reused(manager_api):
    CategoryFactory(name="Coffee")
    manager_api.post(URL, {**NEW, "category": "coffee"}, format="json")
    manager_api.post(URL, {"name": "Mug", "price": 5, "category": "Kitchen "}, format="json")
    assert sorted(Category.objects.values_list("name", flat=True)) == ["Coffee", "Kitchen"]
    assert Product.objects.get(name="Mug").category.name == "Kitchen"


def test_minimal_product_and_blank_codes_are_null(manager_api):
    body = manager_api.post(
        URL, {"name": "Loose bread", "price": 3, "barcode": "", "sku": "  "}, format="json"
    ).json()
    assert (body["barcode"], body["sku"], body["category"]) == (None, None, None)
    assert (body["stock"], body["cost_price"], body["vat_rate"]) == (0, 0.0, 0.0)
    second = manager_api.post(
        URL, {"name": "Loose rolls", "price": 3, "barcode": None}, format="json"
    )
    assert second.status_code == 201, "many products may have no barcode"
    assert not StockMovement.objects.exists()


def test_admin_puts_initial_stock_at_a_named_branch(admin_api, other_branch):
    body = admin_api.post(
        URL, {**NEW, "stock": 5, "branch_id": str(other_branch.pk)}, format="json"
    ).json()
    assert body["stock"] == 5
    assert StockMovement.objects.get().branch == other_branch


def test_admin_without_branch_must_name_one_for_initial_stock(admin_api):
    body = assert_problem(admin_api.post(URL, {**NEW, "stock": 5}, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert body["errors"][0]["field"] == "branch_id"
    assert not Product.objects.exists()


def test_manager_cannot_stock_another_branch(manager_api, other_branch):
    response = manager_api.post(
        URL, {**NEW, "stock": 5, "branch_id": str(other_branch.pk)}, format="json"
    )
    assert_problem(response, 403, "permission_denied")
    assert not Product.objects.exists()


def test_cashier_cannot_write_products(cashier_api):
    product = ProductFactory()
    assert_problem(cashier_api.post(URL, NEW, format="json"), 403, "permission_denied")
    assert_problem(
        cashier_api.patch(f"{URL}/{product.pk}", {"price": 1}, format="json"),
        403,
        "permission_denied",
    )
    assert_problem(cashier_api.put(f"{URL}/{product.pk}", NEW, format="json"), 403,
                   "permission_denied")  # fmt: skip
    assert_problem(cashier_api.delete(f"{URL}/{product.pk}"), 403, "permission_denied")
    assert Product.objects.get().is_active


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"price": -1}, "price"),
        ({"price": 1.005}, "price"),
        ({"price": "abc"}, "price"),
        ({"cost_price": -0.01}, "cost_price"),
        ({"vat_rate": 1}, "vat_rate"),
        ({"vat_rate": 1.5}, "vat_rate"),
        ({"vat_rate": -0.1}, "vat_rate"),
        ({"vat_rate": 0.12345}, "vat_rate"),
        ({"critical_stock_level": -1}, "critical_stock_level"),
        ({"stock": -3}, "stock"),
        ({"name": ""}, "name"),
        ({"image_url": "not a url"}, "image_url"),
        ({"barcode": "12 34"}, "barcode"),
        ({"barcode": "12/34"}, "barcode"),
    ],
)
def test_create_validation(manager_api, change, field):
    body = assert_problem(manager_api.post(URL, {**NEW, **change}, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert [error["field"] for error in body["errors"]] == [field]
    assert not Product.objects.exists()


def test_vat_rate_just_below_one_is_accepted(manager_api):
    assert manager_api.post(URL, {**NEW, "vat_rate": 0.9999}, format="json").status_code == 201


def test_name_and_price_are_required(manager_api):
    body = assert_problem(manager_api.post(URL, {}, format="json"), 400, "validation_error")
    assert sorted(error["field"] for error in body["errors"]) == ["name", "price"]


@pytest.mark.parametrize("field", ["barcode", "sku"])
def test_duplicate_codes_are_400_naming_the_field(manager_api, field):
    ProductFactory(barcode="8690000000123", sku="TC-100")
    other = {"barcode": "999", "sku": "OTHER"}
    other.pop(field)
    body = assert_problem(manager_api.post(URL, {**NEW, **other}, format="json"), 400,
                          "validation_error")  # fmt: skip
    assert [(e["field"], e["code"]) for e in body["errors"]] == [(field, "unique")]
    assert Product.objects.count() == 1


def test_both_duplicate_codes_are_reported(manager_api):
    ProductFactory(barcode="8690000000123", sku="TC-100")
    body = assert_problem(manager_api.post(URL, NEW, format="json"), 400, "validation_error")
    assert sorted(e["field"] for e in body["errors"]) == ["barcode", "sku"]


def test_malformed_json_is_400(manager_api):
    response = manager_api.post(URL, data='{"name": "x", ', content_type="application/json")
    assert_problem(response, 400, "parse_error")


def test_trailing_slash_is_optional_for_writes(manager_api):
    assert manager_api.post(f"{URL}/", NEW, format="json").status_code == 201
    product = Product.objects.get()
    assert manager_api.patch(f"{URL}/{product.pk}/", {"price": 2}, format="json").status_code == 200


# --- updating ------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(manager_api):
    product = ProductFactory(name="Tea", price=Decimal("10.00"), barcode="123", sku="T-1")
    before = product.updated_at
    body = manager_api.patch(
        f"{URL}/{product.pk}", {"price": 12.5, "category": "Hot drinks"}, format="json"
    ).json()
    assert (body["name"], body["price"], body["barcode"], body["category"]) == (
        "Tea",
        12.5,
        "123",
        "Hot drinks",
    )
    product.refresh_from_db()
    assert product.price == Decimal("12.50")
    assert product.updated_at > before


def test_put_needs_the_required_fields(manager_api):
    product = ProductFactory(name="Tea")
    body = assert_problem(
        manager_api.put(f"{URL}/{product.pk}", {"price": 3}, format="json"), 400,
        "validation_error",
    )  # fmt: skip
    assert [e["field"] for e in body["errors"]] == ["name"]
    response = manager_api.put(
        f"{URL}/{product.pk}", {"name": "Black tea", "price": 3, "barcode": None}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["barcode"]) == ("Black tea", None)


def test_stock_is_read_only_on_update(manager_api, branch):
    product = ProductFactory()
    give_stock(product, branch, 4)
    same = manager_api.patch(f"{URL}/{product.pk}", {"stock": 4, "price": 3}, format="json")
    assert same.status_code == 200
    assert same.json()["stock"] == 4
    other = manager_api.patch(f"{URL}/{product.pk}", {"stock": 40}, format="json")
    body = assert_problem(other, 400, "validation_error")
    assert body["errors"][0]["field"] == "stock"
    assert "/stock" in body["detail"]
    assert level(product, branch) == 4
    assert StockMovement.objects.count() == 1


def test_update_rejects_a_taken_barcode(manager_api):
    ProductFactory(barcode="111")
    product = ProductFactory(barcode="222")
    body = assert_problem(
        manager_api.patch(f"{URL}/{product.pk}", {"barcode": "111"}, format="json"), 400,
        "validation_error",
    )  # fmt: skip
    assert body["errors"][0]["field"] == "barcode"
    same = manager_api.patch(f"{URL}/{product.pk}", {"barcode": "222"}, format="json")
    assert same.status_code == 200, "keeping one's own barcode is no conflict"


def test_update_of_unknown_product_is_404(manager_api):
    unknown = "6f1c1c1e-0000-4000-8000-000000000000"
    assert_problem(manager_api.patch(f"{URL}/{unknown}", {"price": 1}, format="json"), 404,
                   "not_found")  # fmt: skip


def test_admin_updates_too(admin_api):
    product = ProductFactory()
    response = admin_api.patch(f"{URL}/{product.pk}", {"is_active": False}, format="json")
    assert response.json()["is_active"] is False


# --- deleting ------------------------------------------------------------------------------------


def test_delete_is_a_soft_delete(manager_api, cashier_api, branch):
    product = ProductFactory(barcode="777")
    give_stock(product, branch, 2)
    assert manager_api.delete(f"{URL}/{product.pk}").status_code == 204
    product.refresh_from_db()
    assert product.is_active is False
    assert StockMovement.objects.filter(product=product).count() == 1
    assert cashier_api.get(f"{URL}/{product.pk}").json()["is_active"] is False
    assert names(cashier_api.get(URL)) == []
    assert_problem(cashier_api.get(f"{URL}/barcode/777"), 404, "not_found")
    assert manager_api.delete(f"{URL}/{product.pk}").status_code == 204, "idempotent"

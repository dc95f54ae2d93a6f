"""Cached product reads: a read after a committed write shows it; no Redis, still answers.

These tests commit for real (transaction=True): the cache versions move in on_commit, exactly
as in production, so no test helper stands in for the commit.
"""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from catalog.cache import CATALOG_KEY, invalidate_on_commit, read_through
from catalog.services import product_update
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock
from pospro.tests.test_ops import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/products"


def test_detail_read_write_read(manager_api, branch, django_assert_num_queries):
    product = ProductFactory(name="Tea")
    first = manager_api.get(f"{URL}/{product.pk}")
    assert first.json()["name"] == "Tea"
    # None: the product and the user both come from the cache (accounts.authentication).
    with django_assert_num_queries(0):
        again = manager_api.get(f"{URL}/{product.pk}")
    assert again.content == first.content
    manager_api.patch(f"{URL}/{product.pk}", {"name": "Black tea"}, format="json")
    assert manager_api.get(f"{URL}/{product.pk}").json()["name"] == "Black tea"
    manager_api.patch(f"{URL}/{product.pk}/stock", {"quantity": 4, "reason": "return"},
                      format="json")  # fmt: skip
    body = manager_api.get(f"{URL}/{product.pk}").json()
    assert body["stock"] == 4
    assert {row["branch_code"]: row["stock"] for row in body["stock_by_branch"]} == {"IST-01": 4}


def test_list_read_write_read(manager_api, branch, django_assert_num_queries):
    product = ProductFactory(name="Tea")
    assert manager_api.get(URL).json()["items"][0]["name"] == "Tea"
    with django_assert_num_queries(0):
        assert manager_api.get(URL).json()["items"][0]["name"] == "Tea"
    manager_api.patch(f"{URL}/{product.pk}", {"price": 7.5}, format="json")
    assert manager_api.get(URL).json()["items"][0]["price"] == 7.5
    manager_api.post(URL, {"name": "Coffee", "price": 3}, format="json")
    assert [i["name"] for i in manager_api.get(URL).json()["items"]] == ["Coffee", "Tea"]
    manager_api.delete(f"{URL}/{product.pk}")
    assert [i["name"] for i in manager_api.get(URL).json()["items"]] == ["Coffee"]


def test_barcode_read_write_read(manager_api, cashier_api, branch, django_assert_num_queries):
    product = ProductFactory(barcode="8690000000017", price="10.00")
    assert cashier_api.get(f"{URL}/barcode/8690000000017").json()["stock"] == 0
    with django_assert_num_queries(0):
        assert cashier_api.get(f"{URL}/barcode/8690000000017").status_code == 200
    give_stock(product, branch, 9)  # a sale or delivery through the stock service
    assert cashier_api.get(f"{URL}/barcode/8690000000017").json()["stock"] == 9
    manager_api.patch(f"{URL}/{product.pk}", {"price": 12}, format="json")
    assert cashier_api.get(f"{URL}/barcode/8690000000017").json()["price"] == 12.0
    manager_api.patch(f"{URL}/{product.pk}", {"barcode": "111"}, format="json")
    assert cashier_api.get(f"{URL}/barcode/8690000000017").status_code == 404
    assert cashier_api.get(f"{URL}/barcode/111").status_code == 200


def test_cached_answers_are_per_role_and_branch(
    cashier_api, manager_api, admin_api, other_cashier, branch, other_branch
):
    from conftest import client_for

    product = ProductFactory(barcode="55")
    give_stock(product, branch, 2)
    give_stock(product, other_branch, 3)
    assert "cost_price" not in cashier_api.get(f"{URL}/barcode/55").json()
    assert "cost_price" in manager_api.get(f"{URL}/barcode/55").json()
    assert cashier_api.get(f"{URL}/{product.pk}").json()["stock"] == 2
    assert client_for(other_cashier).get(f"{URL}/{product.pk}").json()["stock"] == 3
    assert admin_api.get(f"{URL}/{product.pk}").json()["stock"] == 5
    assert "cost_price" not in cashier_api.get(URL).json()["items"][0]
    assert "cost_price" in admin_api.get(URL).json()["items"][0]


def test_uppercase_id_shares_the_invalidation(manager_api):
    product = ProductFactory(name="Tea")
    upper = str(product.pk).upper()
    assert manager_api.get(f"{URL}/{upper}").json()["name"] == "Tea"
    manager_api.patch(f"{URL}/{product.pk}", {"name": "Mate"}, format="json")
    assert manager_api.get(f"{URL}/{upper}").json()["name"] == "Mate"


def test_rolled_back_write_keeps_the_cached_answer(manager_api, django_assert_num_queries):
    product = ProductFactory(name="Tea")
    assert manager_api.get(f"{URL}/{product.pk}").json()["name"] == "Tea"

    def update_then_fail():
        with transaction.atomic():
            product_update(product=product, context_branch_id=None, name="Never")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        update_then_fail()
    with django_assert_num_queries(0):  # still cached: a rolled-back write moves no version
        assert manager_api.get(f"{URL}/{product.pk}").json()["name"] == "Tea"
    product_update(product=product, context_branch_id=None, name="Committed")
    assert manager_api.get(f"{URL}/{product.pk}").json()["name"] == "Committed"


def test_read_through_builds_once_per_version_and_context_with_the_ttl(settings):
    settings.POSPRO_CACHE_TTL = 120
    calls = []

    def build() -> bytes:
        calls.append(1)
        return b"answer"

    versions = [CATALOG_KEY]
    assert read_through("t", versions, ("a",), build) == b"answer"
    assert read_through("t", versions, ("a",), build) == b"answer"
    assert len(calls) == 1
    read_through("t", versions, ("b",), build)
    assert len(calls) == 2
    invalidate_on_commit()  # what every catalog write does (no transaction: at once)
    read_through("t", versions, ("a",), build)
    assert len(calls) == 3
    keys = cache.keys("catalog:t:*")  # the suite always runs on Redis
    assert len(keys) == 2
    assert all(100 < cache.ttl(key) <= 120 for key in keys)


def test_ttl_zero_turns_the_cache_off(settings):
    settings.POSPRO_CACHE_TTL = 0
    calls = []
    for _ in range(2):
        read_through("t0", [CATALOG_KEY], ("a",), lambda: calls.append(1) or b"x")
    assert len(calls) == 2


@pytest.fixture
def redis_down():
    with override_settings(CACHES=UNREACHABLE_REDIS):
        yield


def test_reads_and_writes_work_without_redis(manager_api, cashier_api, branch, redis_down):
    product = ProductFactory(name="Tea", barcode="77")
    give_stock(product, branch, 1)
    assert cashier_api.get(URL).status_code == 200
    assert cashier_api.get(f"{URL}/{product.pk}").json()["stock"] == 1
    assert cashier_api.get(f"{URL}/barcode/77").status_code == 200
    assert cashier_api.get(f"{URL}/low-stock").status_code == 200
    response = manager_api.patch(
        f"{URL}/{product.pk}/stock", {"quantity": 2, "reason": "return"}, format="json"
    )
    assert response.status_code == 200
    assert cashier_api.get(f"{URL}/barcode/77").json()["stock"] == 3
    manager_api.patch(f"{URL}/{product.pk}", {"name": "Mate"}, format="json")
    assert cashier_api.get(f"{URL}/{product.pk}").json()["name"] == "Mate"

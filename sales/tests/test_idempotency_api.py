"""Idempotency-Key and till-generated ids: a sale is never created twice."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.tests.test_auth_api import assert_problem
from catalog.tests.stock import level
from conftest import client_for
from sales.models import IdempotencyKey, Order
from sales.tests.helpers import cash, order_body, post_order, stocked_product

pytestmark = pytest.mark.django_db


@pytest.fixture
def item(branch):
    return stocked_product(branch, stock=10, price=Decimal("10.00"), vat_rate=Decimal("0.18"))


def test_same_key_same_body_replays(cashier_api, branch, item):
    body = order_body((item, 2), payments=cash(50))
    first = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="till-1-sale-77")
    second = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="till-1-sale-77")
    assert first.status_code == second.status_code == 201
    assert "Idempotent-Replayed" not in first
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content  # byte for byte, keys in the same order
    assert Order.objects.count() == 1
    assert level(item, branch) == 8


def test_same_key_other_body_is_422(cashier_api, item):
    post_order(cashier_api, order_body((item, 1), payments=cash(20)), HTTP_IDEMPOTENCY_KEY="k1")
    response = post_order(
        cashier_api, order_body((item, 2), payments=cash(30)), HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert_problem(response, 422, "idempotency_key_mismatch")
    assert Order.objects.count() == 1


def test_keys_are_scoped_per_user(cashier_api, branch, item):
    from accounts.tests.factories import UserFactory

    colleague = client_for(UserFactory(role="cashier", branch=branch))
    body = order_body((item, 1), payments=cash(20))
    post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="shared")
    response = post_order(colleague, body, HTTP_IDEMPOTENCY_KEY="shared")
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response
    assert Order.objects.count() == 2


def test_refusal_is_not_stored_so_a_corrected_retry_works(cashier_api, item):
    short = post_order(
        cashier_api, order_body((item, 1), payments=cash(1)), HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert short.status_code == 400
    fixed = post_order(
        cashier_api, order_body((item, 1), payments=cash(20)), HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert fixed.status_code == 201


def test_key_longer_than_255_is_refused(cashier_api, item):
    response = post_order(
        cashier_api, order_body((item, 1), payments=cash(20)), HTTP_IDEMPOTENCY_KEY="k" * 256
    )
    assert_problem(response, 400, "validation_error")


def test_till_generated_id_acts_as_key(cashier_api, item):
    order_id = str(uuid.uuid4())
    body = order_body((item, 1), payments=cash(20), id=order_id)
    first = post_order(cashier_api, body)
    again = post_order(cashier_api, body)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == order_id
    assert again["Idempotent-Replayed"] == "true"
    assert Order.objects.count() == 1


def test_till_id_reused_by_another_user_conflicts(cashier_api, manager_api, item):
    order_id = str(uuid.uuid4())
    post_order(cashier_api, order_body((item, 1), payments=cash(20), id=order_id))
    response = post_order(manager_api, order_body((item, 1), payments=cash(20), id=order_id))
    assert_problem(response, 409, "conflict")


def test_expired_key_is_forgotten_and_purged(cashier_api, item):
    body = order_body((item, 1), payments=cash(20))
    post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="old")
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = post_order(cashier_api, body, HTTP_IDEMPOTENCY_KEY="old")
    assert again.status_code == 201
    assert "Idempotent-Replayed" not in again
    assert Order.objects.count() == 2
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    call_command("purge_idempotency_keys", verbosity=0)
    assert IdempotencyKey.objects.count() == 0


def test_key_row_commits_with_the_order(cashier_api, item):
    post_order(cashier_api, order_body((item, 1), payments=cash(20)), HTTP_IDEMPOTENCY_KEY="k3")
    key = IdempotencyKey.objects.get()
    assert key.order_id == Order.objects.get().pk
    assert key.response_status == 201
    assert key.expires_at - key.created_at == timedelta(hours=24)

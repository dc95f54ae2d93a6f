"""A request's user comes from the cache, and every way of writing a user reaches the next
request: these tests commit for real (transaction=True), as the API, the admin and commands do,
so the users' version moves exactly when it does in production."""

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.cache import USERS_KEY
from accounts.models import Role, User
from accounts.services import user_set_active
from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock
from conftest import client_for

pytestmark = pytest.mark.django_db(transaction=True)

ME = "/api/v1/auth/me"


def warm(client) -> dict:
    """Two reads: the first fills the user's cache entry, the second is served from it."""
    assert client.get(ME).status_code == 200
    response = client.get(ME)
    assert response.status_code == 200
    return response.json()


def test_the_second_request_reads_no_user_row(cashier, django_assert_num_queries):
    client = client_for(cashier)
    with django_assert_num_queries(1):
        assert client.get(ME).status_code == 200
    for _ in range(3):
        with django_assert_num_queries(0):
            assert client.get(ME).json()["email"] == cashier.email


@pytest.mark.parametrize(
    "deactivate",
    [
        pytest.param(lambda user: user_set_active(user=user, is_active=False), id="service"),
        pytest.param(lambda user: setattr(user, "is_active", False) or user.save(), id="save"),
        pytest.param(
            lambda user: User.objects.filter(pk=user.pk).update(is_active=False), id="update"
        ),
        pytest.param(
            lambda user: (
                setattr(user, "is_active", False) or User.objects.bulk_update([user], ["is_active"])
            ),
            id="bulk_update",
        ),
        pytest.param(lambda user: user.delete(), id="delete"),
    ],
)
def test_a_deactivated_user_is_refused_at_the_very_next_request(cashier, deactivate):
    client = client_for(cashier)
    warm(client)
    deactivate(User.objects.get(pk=cashier.pk))
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deactivation_in_the_admin_is_refused_at_the_next_request(cashier, admin_user):
    client = client_for(cashier)
    warm(client)
    site = Client()
    site.force_login(admin_user)
    form = {  # the change form as the admin posts it, with "Active" unticked
        "email": cashier.email,
        "name": cashier.name,
        "role": cashier.role,
        "branch": str(cashier.branch_id),
    }
    answer = site.post(f"/admin/accounts/user/{cashier.pk}/change/", form)
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    assert User.objects.get(pk=cashier.pk).is_active is False
    assert client.get(ME).status_code == 401


def test_a_role_change_applies_at_the_very_next_request(cashier, branch):
    product = ProductFactory()
    client = client_for(cashier)
    detail, movements = f"/api/v1/products/{product.pk}", f"/api/v1/products/{product.pk}/movements"
    warm(client)
    assert "cost_price" not in client.get(detail).json()
    assert client.get(movements).status_code == 403

    User.objects.filter(pk=cashier.pk).update(role=Role.MANAGER)
    assert client.get(ME).json()["role"] == "manager"
    assert "cost_price" in client.get(detail).json()  # the cached answer is the manager's
    assert client.get(movements).status_code == 200

    manager = User.objects.get(pk=cashier.pk)
    manager.role = Role.CASHIER
    manager.save(update_fields=["role"])
    assert client.get(movements).status_code == 403


def test_a_branch_move_rescopes_at_the_very_next_request(cashier, branch, other_branch):
    product = ProductFactory()
    give_stock(product, branch, 7)
    give_stock(product, other_branch, 3)
    client = client_for(cashier)
    warm(client)
    assert client.get(f"/api/v1/products/{product.pk}").json()["stock"] == 7
    assert client.get(f"/api/v1/products/{product.pk}").json()["stock"] == 7  # cached

    moved = User.objects.get(pk=cashier.pk)
    moved.branch = other_branch
    moved.save()
    assert client.get(ME).json()["branch_id"] == str(other_branch.pk)
    assert client.get(f"/api/v1/products/{product.pk}").json()["stock"] == 3


def test_a_user_write_rolled_back_moves_nothing_and_a_commit_moves_the_version(cashier):
    from django.db import transaction

    def deactivate_then_fail():
        with transaction.atomic():
            User.objects.filter(pk=cashier.pk).update(is_active=False)
            raise RuntimeError("rolled back")

    warm(client_for(cashier))
    before = cache.get(USERS_KEY)
    with pytest.raises(RuntimeError):
        deactivate_then_fail()
    assert cache.get(USERS_KEY) == before
    User.objects.filter(pk=cashier.pk).update(name="Renamed")
    assert cache.get(USERS_KEY) > before
    assert client_for(cashier).get(ME).json()["name"] == "Renamed"


def test_the_cached_user_loads_its_password_only_when_asked(cashier):
    """The cache holds no password hash; a password change still checks the real one."""
    client = client_for(cashier)
    warm(client)
    entry = next(v for k, v in cache.get_many([f"accounts:user:{cashier.pk}"]).items())
    assert "password" not in entry[1]
    answer = client.post(
        "/api/v1/auth/password",
        {"old_password": "wrong-password", "new_password": "An0ther-Secret-2025!"},
        format="json",
    )
    assert answer.status_code == 400


def test_a_token_seen_before_is_still_refused_once_expired(cashier):
    """A token already used (its user cached) is still refused once it has expired."""
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    client = client_for(cashier)
    warm(client)
    with freeze_time(timezone.now() + timedelta(seconds=3601)):
        response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["code"] == "token_not_valid"
    assert client.get(ME).status_code == 200  # back in its lifetime


def test_a_forged_token_is_refused_even_after_the_real_one_was_seen(cashier, admin_user):
    from rest_framework_simplejwt.tokens import AccessToken

    real = str(AccessToken.for_user(cashier))
    client = client_for(cashier)
    warm(client)
    header, payload, signature = real.split(".")
    other = "AA" if signature[-2:] != "AA" else "BB"
    forged = ".".join([header, payload, signature[:-2] + other])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert client.get(ME).status_code == 401

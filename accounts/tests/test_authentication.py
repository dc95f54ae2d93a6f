"""Authentication reads the user by primary key on every request, so a change applies at once;
the throttles count exactly across threads."""

import pytest

from accounts.tests.factories import BranchFactory, UserFactory
from conftest import client_for
from pospro.testing.parallel import run_together


def test_authentication_is_one_primary_key_query(cashier, django_assert_num_queries):
    client = client_for(cashier)
    for _ in range(2):
        with django_assert_num_queries(1):
            assert client.get("/api/v1/auth/me").status_code == 200


def test_a_deactivated_user_is_refused_at_the_next_request(cashier):
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").status_code == 200
    cashier.is_active = False
    cashier.save()
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_role_change_applies_at_the_next_request(cashier):
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").json()["role"] == "cashier"
    cashier.role = "manager"
    cashier.save()
    assert client.get("/api/v1/auth/me").json()["role"] == "manager"


def test_a_user_change_made_while_the_cache_is_unreachable_applies_at_once(cashier, settings):
    """Authentication never reads the cache: nothing it could serve from there can be stale."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"IGNORE_EXCEPTIONS": True, "SOCKET_CONNECT_TIMEOUT": 0.05},
        }
    }
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").status_code == 200
    cashier.is_active = False
    cashier.save()
    assert client.get("/api/v1/auth/me").status_code == 401


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_throttle_window")
def test_the_user_throttle_counts_exactly_across_threads(settings):
    """40 requests from 8 threads at once against a limit of 25: exactly 25 pass."""
    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "user": "25/min"}
    user = UserFactory(role="cashier", branch=BranchFactory())
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()

    def five_requests(_):
        client = client_for(user)
        return [client.get("/api/v1/auth/me").status_code for _ in range(5)]

    statuses = [code for codes in run_together(8, five_requests) for code in codes]
    assert statuses.count(200) == 25
    assert statuses.count(429) == 15

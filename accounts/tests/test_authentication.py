"""Authentication reads the user by primary key once, then from the cache until a user write
moves the users' version (on commit: these tests run the on-commit callbacks the way a commit
would; accounts/tests/test_user_cache.py commits for real); the throttles count exactly across
threads."""

import pytest

from accounts.tests.factories import BranchFactory, UserFactory
from conftest import client_for
from pospro.testing.parallel import run_together


def test_authentication_is_one_primary_key_query_then_none(cashier, django_assert_num_queries):
    client = client_for(cashier)
    with django_assert_num_queries(1):
        assert client.get("/api/v1/auth/me").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/v1/auth/me").status_code == 200


def test_a_deactivated_user_is_refused_at_the_next_request(
    cashier, django_capture_on_commit_callbacks
):
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        cashier.is_active = False
        cashier.save()
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_role_change_applies_at_the_next_request(cashier, django_capture_on_commit_callbacks):
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").json()["role"] == "cashier"
    with django_capture_on_commit_callbacks(execute=True):
        cashier.role = "manager"
        cashier.save()
    assert client.get("/api/v1/auth/me").json()["role"] == "manager"


def test_a_user_change_made_while_the_cache_is_unreachable_applies_at_once(cashier, settings):
    """With the cache unreachable, the user is read by primary key: nothing stale is served."""
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

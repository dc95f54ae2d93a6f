"""Authentication reads the user through its cached copy and still refuses a change at once;
the throttles count exactly across threads."""

import pytest
from django.core.cache import cache

from accounts.auth import _key, load_active_user
from conftest import client_for
from pospro.testing.parallel import run_together


def test_authentication_reads_the_user_once_then_the_cache(cashier, django_assert_num_queries):
    cache.delete(_key(cashier.pk))  # the "recently changed" marker of its creation has expired
    client = client_for(cashier)
    with django_assert_num_queries(1):
        assert client.get("/api/v1/auth/me").status_code == 200
    with django_assert_num_queries(0):
        assert client.get("/api/v1/auth/me").status_code == 200


def test_a_deactivated_user_is_refused_at_the_next_request(cashier):
    cache.delete(_key(cashier.pk))
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").status_code == 200  # now cached
    cashier.is_active = False
    cashier.save()
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_role_change_applies_at_the_next_request(cashier):
    cache.delete(_key(cashier.pk))
    client = client_for(cashier)
    assert client.get("/api/v1/auth/me").json()["role"] == "cashier"
    cashier.role = "manager"
    cashier.save()
    assert client.get("/api/v1/auth/me").json()["role"] == "manager"


def test_a_copy_cannot_be_put_back_over_a_change(cashier):
    """A reader that loaded the row before a change must not cache the old values after it."""
    cashier.save()  # a change: the marker is set
    assert load_active_user(cashier.pk) is not None
    assert cache.get(_key(cashier.pk)) == "stale"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("one_throttle_window")
def test_the_user_throttle_counts_exactly_across_threads(settings):
    """40 requests from 8 threads at once against a limit of 25: exactly 25 pass."""
    from accounts.tests.factories import BranchFactory, UserFactory

    settings.POSPRO_THROTTLE_RATES = {**settings.POSPRO_THROTTLE_RATES, "user": "25/min"}
    user = UserFactory(role="cashier", branch=BranchFactory())
    load_active_user(user.pk)  # its cached copy: the threads read no stale marker

    def five_requests(_):
        client = client_for(user)
        return [client.get("/api/v1/auth/me").status_code for _ in range(5)]

    statuses = [code for codes in run_together(8, five_requests) for code in codes]
    assert statuses.count(200) == 25
    assert statuses.count(429) == 15

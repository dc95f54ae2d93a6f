"""Fixtures shared by every app's tests."""

from datetime import timedelta

import freezegun
import pytest
from django.core.cache import cache
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import AccessToken

from accounts.tests.factories import BranchFactory, UserFactory

# pytest's own clock (test durations, --durations, JUnit times) stays real under freeze_time.
freezegun.configure(extend_ignore_list=["_pytest"])


@pytest.fixture(autouse=True)
def _clean_cache():
    """Each test starts with an empty cache (only this run's keys, on a shared Redis)."""
    if hasattr(cache, "delete_pattern"):
        cache.delete_pattern("*")
    else:
        cache.clear()


@pytest.fixture
def one_throttle_window():
    """The throttles count per clock minute (fixed windows): the test runs 20 s into one, so
    its requests never straddle a boundary, where counting starts afresh. Time only moves
    forward (tokens issued before stay valid) and keeps ticking."""
    now = timezone.now()
    start = now.replace(second=20, microsecond=0)
    if start < now:
        start += timedelta(minutes=1)
    with freeze_time(start, tick=True):
        yield


@pytest.fixture
def api():
    return APIClient()


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {AccessToken.for_user(user)}")
    return client


@pytest.fixture
def branch(db):
    return BranchFactory(code="IST-01", name="Istanbul Kadikoy")


@pytest.fixture
def other_branch(db):
    return BranchFactory(code="ANK-01", name="Ankara Cankaya")


@pytest.fixture
def admin_user(db):
    return UserFactory(role="admin", branch=None, email="admin@pospro.test")


@pytest.fixture
def manager(branch):
    return UserFactory(role="manager", branch=branch, email="manager@pospro.test")


@pytest.fixture
def cashier(branch):
    return UserFactory(role="cashier", branch=branch, email="cashier@pospro.test")


@pytest.fixture
def other_manager(other_branch):
    return UserFactory(role="manager", branch=other_branch)


@pytest.fixture
def other_cashier(other_branch):
    return UserFactory(role="cashier", branch=other_branch)


@pytest.fixture
def admin_api(admin_user):
    return client_for(admin_user)


@pytest.fixture
def manager_api(manager):
    return client_for(manager)


@pytest.fixture
def cashier_api(cashier):
    return client_for(cashier)

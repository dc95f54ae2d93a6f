"""A deactivation reaches every gunicorn worker and thread at the next request."""

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from accounts.services import user_set_active
from accounts.tests.factories import PASSWORD, UserFactory
from tests.helpers import gunicorn, server_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _login(base: str, email: str) -> str:
    body = json.dumps({"email": email, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{base}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["access_token"]


def _statuses(url: str, token: str, count: int) -> list[int]:
    """`count` GETs on fresh connections, 8 at a time (spread over the workers' threads)."""

    def get(_) -> int:
        request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(get, range(count)))


def test_a_deactivation_is_refused_by_every_worker_at_the_next_request(branch):
    user = UserFactory(branch=branch)
    with gunicorn({"DATABASE_URL": server_database_url()}, workers=2, threads=2) as base:
        token = _login(base, user.email)
        assert set(_statuses(f"{base}/api/v1/auth/me", token, 60)) == {200}
        user_set_active(user=user, is_active=False)
        assert set(_statuses(f"{base}/api/v1/auth/me", token, 60)) == {401}

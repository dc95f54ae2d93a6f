"""Login hashes passwords (Argon2) without stopping the server from answering other requests."""

import json
import threading
import time
import urllib.request

import pytest

from accounts.tests.factories import PASSWORD, UserFactory
from tests.helpers import gunicorn, server_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_health_answers_while_logins_hash(branch):
    users = [UserFactory(branch=branch) for _ in range(3)]
    with gunicorn({"DATABASE_URL": server_database_url()}, workers=1, threads=4) as base:
        finished: dict[str, float] = {}

        def login(user):
            body = json.dumps({"email": user.email, "password": PASSWORD}).encode()
            request = urllib.request.Request(
                f"{base}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            finished[user.email] = time.monotonic()

        threads = [threading.Thread(target=login, args=(u,)) for u in users]
        for thread in threads:
            thread.start()
        time.sleep(0.02)  # the logins are hashing now
        with urllib.request.urlopen(f"{base}/health", timeout=30) as response:
            assert response.status == 200
        health_done = time.monotonic()
        for thread in threads:
            thread.join()
    assert len(finished) == 3
    assert health_done < min(finished.values()), "health waited for a password hash"

"""A Redis partition (packets dropped, not a stopped server) during a deactivation made by
another process and during sales: once the network heals, the user is refused and every
process reads the right stock."""

import os
import subprocess
import sys
import time
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache

from catalog.tests.factories import ProductFactory
from conftest import client_for
from pospro import cache as versioned
from pospro.testing.blackhole import BlackholeProxy
from tests.helpers import server_database_url

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def partitioned_cache(settings):
    """The default cache reached through a proxy that can blackhole it."""
    redis = urlsplit(settings.CACHES["default"]["LOCATION"])
    proxy = BlackholeProxy((redis.hostname, redis.port or 6379))
    location = f"redis://127.0.0.1:{proxy.port}{redis.path or '/0'}"
    settings.CACHES = {
        "default": {
            **settings.CACHES["default"],
            "LOCATION": location,
            "OPTIONS": {
                **settings.CACHES["default"]["OPTIONS"],
                "SOCKET_TIMEOUT": 0.3,
                "SOCKET_CONNECT_TIMEOUT": 0.3,
            },
        }
    }
    yield proxy, location
    proxy.dropping.clear()
    assert versioned.cache_is_current()
    proxy.close()


def run_in_another_process(code: str, redis_url: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": server_database_url(),
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "pospro.settings",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stock_seen(client, product) -> int:
    return client.get(f"/api/v1/products/{product.pk}").json()["stock"]


def test_a_partition_leaves_no_stale_user_or_stock_once_healed(
    partitioned_cache, branch, manager, cashier
):
    proxy, redis_url = partitioned_cache
    product = ProductFactory(price="10.00")
    manager_api = client_for(manager)
    assert (
        manager_api.patch(
            f"/api/v1/products/{product.pk}/stock",
            {"quantity": 30, "reason": "stock_purchase"},
            format="json",
        ).status_code
        == 200
    )
    till = client_for(cashier)
    assert till.get("/api/v1/auth/me").status_code == 200
    assert stock_seen(manager_api, product) == 30  # now cached, as every later read's key
    assert stock_seen(manager_api, product) == 30

    proxy.dropping.set()
    # Another process deactivates the cashier and counts stock while Redis drops packets.
    other = run_in_another_process(
        "from accounts.models import User\n"
        "from accounts.services import user_set_active\n"
        "from catalog.services import stock_adjust\n"
        "from accounts.models import Branch\n"
        "from uuid import UUID\n"
        f"user_set_active(user=User.objects.get(pk='{cashier.pk}'), is_active=False)\n"
        f"stock_adjust(product_id=UUID('{product.pk}'),"
        f" branch=Branch.objects.get(pk='{branch.pk}'), user=User.objects.get(pk='{manager.pk}'),"
        " reason='stock_purchase', quantity=5)\n"
        "print('written')\n",
        redis_url,
    )
    # And this process sells two units.
    sale = manager_api.post(
        "/api/v1/orders",
        {
            "items": [{"product_id": str(product.pk), "quantity": 2}],
            "payments": [{"method": "cash", "amount": "100.00"}],
        },
        format="json",
    )
    assert sale.status_code == 201
    time.sleep(1.5)
    assert other.poll() is None, "a command must not end before its invalidation arrived"

    proxy.dropping.clear()  # the network heals
    output, _ = other.communicate(timeout=60)
    assert "written" in output, output[-2000:]

    assert till.get("/api/v1/auth/me").status_code == 401
    assert stock_seen(manager_api, product) == 33
    # A fresh process, which never saw the partition, reads the same from the shared cache.
    fresh = run_in_another_process(
        "from rest_framework.test import APIClient\n"
        "from rest_framework_simplejwt.tokens import AccessToken\n"
        "from accounts.models import User\n"
        "client = APIClient()\n"
        f"user = User.objects.get(pk='{manager.pk}')\n"
        "client.credentials(HTTP_AUTHORIZATION=f'Bearer {AccessToken.for_user(user)}')\n"
        f"print('stock', client.get('/api/v1/products/{product.pk}').json()['stock'])\n",
        redis_url,
    )
    output, _ = fresh.communicate(timeout=60)
    assert "stock 33" in output, output
    assert cache.get("never-set") is None  # the cache answers again

"""pospro.cache_batch: one Redis round trip for a request's reads and its count, and none for
most authenticated requests (tracked copies, counters counted locally between round trips)."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from freezegun import freeze_time
from redis.connection import AbstractConnection

from accounts.services import user_set_active
from accounts.tests.test_auth_api import assert_problem
from pospro import cache_batch
from pospro.tests.test_ops import UNREACHABLE_REDIS

pytestmark = pytest.mark.django_db

TRACKED = "batch:tracked:"


@pytest.fixture
def round_trips(monkeypatch):
    """The batches this thread's lane sent to Redis (its handshake aside)."""
    sent = []
    original = AbstractConnection.pack_commands

    def spy(connection, commands):
        if connection is cache_batch._lane.connection:
            sent.append([command[0] for command in commands])
        return original(connection, commands)

    monkeypatch.setattr(AbstractConnection, "pack_commands", spy)
    return sent


@pytest.fixture
def tracked():
    cache_batch.serve_locally(TRACKED)
    cache_batch._lane.drop()  # the next connection tracks the prefix
    yield
    cache_batch._local_prefixes.remove(TRACKED)
    cache_batch._lane.drop()


def test_one_round_trip_reads_values_and_counts(settings):
    assert "redis" in settings.CACHES["default"]["BACKEND"].lower()
    cache.set("batch:a", {"x": 1})
    found, count = cache_batch.fetch(["batch:a", "batch:missing"], counter="batch:n", counter_ttl=5)
    assert (found, count) == ({"batch:a": {"x": 1}}, 1)
    assert cache_batch.fetch([], counter="batch:n", counter_ttl=5) == ({}, 2)
    assert 0 < cache.ttl("batch:n") <= 5


def test_bump_starts_a_missing_counter_then_adds_one():
    cache_batch.bump(["batch:v1", "batch:v2"], start=1000)
    cache.set("batch:v3", 7, timeout=None)
    cache_batch.bump(["batch:v1", "batch:v3"], start=5000)
    assert cache.get_many(["batch:v1", "batch:v2", "batch:v3"]) == {
        "batch:v1": 1002,
        "batch:v2": 1001,
        "batch:v3": 8,
    }


def test_a_broken_connection_is_replaced_and_the_call_still_answers():
    cache.set("batch:a", 5)
    assert cache_batch.fetch(["batch:a"], counter="batch:n", counter_ttl=5) == ({"batch:a": 5}, 1)
    broken = cache_batch._lane.connection
    broken._sock.close()  # e.g. Redis restarted or an idle timeout closed it
    assert cache_batch.fetch(["batch:a"], counter="batch:n", counter_ttl=5) == ({"batch:a": 5}, 2)
    assert cache_batch.fetch(["batch:a"]) == ({"batch:a": 5}, None)
    assert cache_batch._lane.connection is not broken


def test_an_unreachable_redis_finds_nothing_and_counts_nothing():
    assert cache_batch.fetch(["batch:a"], counter="batch:n", counter_ttl=5)[1] == 1
    with override_settings(CACHES=UNREACHABLE_REDIS):
        assert cache_batch.fetch(["batch:a"], counter="batch:n", counter_ttl=5) == ({}, None)
    assert cache_batch.fetch(["batch:a"], counter="batch:n", counter_ttl=5)[1] == 2


def test_tracked_keys_are_served_locally_until_redis_announces_a_change(tracked, round_trips):
    key = f"{TRACKED}a"
    cache.set(key, {"v": 1})
    assert cache_batch.fetch([key]) == ({key: {"v": 1}}, None)
    assert len(round_trips) == 1
    assert cache_batch.fetch([key, "batch:untracked"]) == ({key: {"v": 1}}, None)
    assert cache_batch.fetch([key]) == ({key: {"v": 1}}, None)
    assert len(round_trips) == 2  # only the untracked key went to Redis

    cache.set(key, {"v": 2})  # another connection (another worker, another server)
    assert cache_batch.fetch([key]) == ({key: {"v": 2}}, None)
    cache.delete(key)
    assert cache_batch.fetch([key]) == ({}, None)
    cache.set(key, {"v": 3})
    assert cache_batch.fetch([key]) == ({key: {"v": 3}}, None)
    cache.clear()  # FLUSHDB: announced as "everything changed"
    assert cache_batch.fetch([key]) == ({}, None)
    assert len(round_trips) == 6


def test_copies_die_with_the_connection(tracked):
    key = f"{TRACKED}a"
    cache.set(key, 1)
    assert cache_batch.fetch([key]) == ({key: 1}, None)
    cache_batch._lane.connection._sock.close()  # Redis restarted: its announcements are lost
    cache.set(key, 2)
    assert cache_batch.fetch([key]) == ({key: 2}, None)
    assert cache_batch._lane.copies == {}  # answered through a pool connection, nothing kept


def test_a_limited_counter_is_counted_locally_between_round_trips(round_trips):
    def count() -> int:
        return cache_batch.fetch([], counter="batch:c", counter_ttl=60, counter_limit=10**6)[1]

    batch = cache_batch.COUNT_BATCH
    with freeze_time(timezone.now()) as clock:
        assert [count() for _ in range(batch + 1)] == list(range(1, batch + 2))
        assert len(round_trips) == 1
        assert cache.get("batch:c") == 1
        assert count() == batch + 2  # the local count goes to Redis, the total comes back
        assert len(round_trips) == 2
        assert cache.get("batch:c") == batch + 2

        cache.incr("batch:c", 100)  # other workers' requests
        assert count() == batch + 3  # counted locally, within COUNT_AGE
        clock.tick(timedelta(seconds=cache_batch.COUNT_AGE + 0.5))
        assert count() == batch + 104
        assert len(round_trips) == 3


def test_near_its_limit_every_request_is_counted_in_redis(round_trips):
    limit = 40
    counts, shared = [], []
    for _ in range(limit + 2):
        counts.append(
            cache_batch.fetch([], counter="batch:near", counter_ttl=60, counter_limit=limit)[1]
        )
        shared.append(cache.get("batch:near"))
    assert counts == list(range(1, limit + 3))  # one thread alone: exact all along
    assert len(round_trips) < limit + 2  # some were counted locally, far from the limit
    # Fewer than COUNT_SHARE left: each request went to Redis, so a refusal (count > limit)
    # is decided on the shared total.
    exact = limit - cache_batch.COUNT_SHARE + 2
    assert shared[exact - 1 :] == counts[exact - 1 :] == list(range(exact, limit + 3))


def test_a_users_requests_skip_redis_and_a_deactivation_still_applies_at_once(
    cashier, cashier_api, round_trips, django_assert_num_queries
):
    cache.delete(f"auth:user:{cashier.pk}")  # the "stale" marker the user's creation left
    assert cashier_api.get("/api/v1/auth/me").status_code == 200  # snapshot written to Redis
    assert cashier_api.get("/api/v1/auth/me").status_code == 200  # ... read and kept
    sent = len(round_trips)
    with django_assert_num_queries(0):
        for _ in range(5):
            assert cashier_api.get("/api/v1/auth/me").status_code == 200
    assert len(round_trips) == sent  # snapshot and throttle count: no round trip either

    user_set_active(user=cashier, is_active=False)  # through another connection, on commit
    assert_problem(cashier_api.get("/api/v1/auth/me"), 401, "authentication_failed")


def test_a_server_refusing_tracking_still_batches_without_copies(tracked, monkeypatch, round_trips):
    original = AbstractConnection.send_command

    def no_tracking(connection, *args, **kwargs):
        if args[:2] == ("CLIENT", "TRACKING"):
            args = ("CLIENT", "TRACKING", "REFUSED")  # answered with an error, like a proxy
        return original(connection, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_command", no_tracking)
    cache_batch._lane.drop()
    key = f"{TRACKED}a"
    cache.set(key, 1)
    assert cache_batch.fetch([key], counter="batch:n", counter_ttl=5) == ({key: 1}, 1)
    assert cache_batch.fetch([key]) == ({key: 1}, None)
    assert len(round_trips) == 2  # nothing kept locally
    assert cache_batch._lane.copies == {}

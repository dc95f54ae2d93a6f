"""pospro.cache: answers served while their versions stand, rebuilt once one moves."""

import pytest
from django.core.cache import cache
from django.db import transaction

from pospro import cache as versioned


def counting_build():
    calls = []

    def build():
        calls.append(1)
        return b'{"n": %d}' % len(calls)

    return build


def test_hit_after_miss_and_miss_after_a_bump():
    build = counting_build()
    assert versioned.cached_bytes("t:a", ["t:v"], build, ttl=60) == b'{"n": 1}'
    assert versioned.cached_bytes("t:a", ["t:v"], build, ttl=60) == b'{"n": 1}'
    versioned.bump_now(["t:v"])
    assert versioned.cached_bytes("t:a", ["t:v"], build, ttl=60) == b'{"n": 2}'
    assert versioned.cached_bytes("t:a", ["t:v"], build, ttl=60) == b'{"n": 2}'


def test_an_evicted_version_misses_instead_of_serving_stale():
    versioned.cached_bytes("t:b", ["t:v2"], lambda: b"old", ttl=60)
    cache.delete("t:v2")
    assert versioned.cached_bytes("t:b", ["t:v2"], lambda: b"new", ttl=60) == b"new"


def test_ttl_zero_never_caches():
    build = counting_build()
    versioned.cached_bytes("t:c", [], build, ttl=0)
    assert versioned.cached_bytes("t:c", [], build, ttl=0) == b'{"n": 2}'


def test_versions_expire():
    versioned.bump_now(["t:v3"])
    assert 0 < cache.ttl("t:v3") <= versioned.VERSION_TTL


@pytest.mark.django_db(transaction=True)
def test_a_bump_waits_for_the_commit_and_a_rollback_moves_nothing():
    before = versioned.versions(["t:v4"])["t:v4"]
    try:
        with transaction.atomic():
            versioned.bump_on_commit(["t:v4"])
            assert cache.get("t:v4") == before
            raise RuntimeError
    except RuntimeError:
        pass
    assert cache.get("t:v4") == before
    with transaction.atomic():
        versioned.bump_on_commit(["t:v4"])
    assert cache.get("t:v4") != before

import threading

from django.core.cache import cache

from pospro.api.response_cache import cached_bytes


def test_hit_after_miss_and_miss_after_a_bump():
    calls = []

    def build():
        calls.append(1)
        return b'{"n": %d}' % len(calls)

    assert cached_bytes("t:a", ["t:v"], build, ttl=60) == (b'{"n": 1}', False)
    assert cached_bytes("t:a", ["t:v"], build, ttl=60) == (b'{"n": 1}', True)
    cache.set("t:v", 7)
    assert cached_bytes("t:a", ["t:v"], build, ttl=60) == (b'{"n": 2}', False)
    assert cached_bytes("t:a", ["t:v"], build, ttl=60) == (b'{"n": 2}', True)


def test_an_evicted_counter_misses_instead_of_serving_stale():
    cache.set("t:v2", 5)
    cached_bytes("t:b", ["t:v2"], lambda: b"old", ttl=60)
    cache.delete("t:v2")
    assert cached_bytes("t:b", ["t:v2"], lambda: b"new", ttl=60) == (b"new", False)


def test_ttl_zero_never_caches():
    assert cached_bytes("t:c", [], lambda: b"x", ttl=0) == (b"x", False)
    assert cache.get("t:c") is None


def test_concurrent_misses_build_once():
    calls = []
    gate = threading.Event()

    def slow_build():
        calls.append(1)
        gate.wait(timeout=0.02)
        return b"built"

    results = []

    def read():
        results.append(cached_bytes("t:d", ["t:v4"], slow_build, ttl=60))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [body for body, _ in results] == [b"built"] * 4
    assert len(calls) == 1

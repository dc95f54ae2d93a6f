"""Cached response bytes for hot reads, checked against version counters in one round trip.

An entry is stored as (versions, body) under a key that does not contain the versions. A read
fetches the entry and the current values of its version counters with one MGET: the entry is
served only if every counter still has the value it was built under, so a write that bumped a
counter (on commit) is seen by the very next read. A missing counter reads as 0, so an evicted
counter makes entries miss, never serve stale data.

Stampede protection: on a miss, one request per key takes a short lock and builds the body;
the others wait a few milliseconds for it, then build it themselves rather than wait longer.
If the cache is down, every read builds the body from the database.
"""

import time
from collections.abc import Callable, Sequence

from django.core.cache import cache

from pospro import cache_batch

LOCK_SECONDS = 5
WAITS = (0.005, 0.015, 0.03)


def _lookup(key: str, version_keys: Sequence[str]) -> tuple[bytes | None, tuple]:
    found, _ = cache_batch.fetch([key, *version_keys])
    versions = tuple(found.get(name) or 0 for name in version_keys)
    entry = found.get(key)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == versions:
        return entry[1], versions
    return None, versions


def cached_bytes(
    key: str, version_keys: Sequence[str], build: Callable[[], bytes], *, ttl: int
) -> tuple[bytes, bool]:
    """The body for `key`, and whether it came from the cache."""
    if ttl <= 0:
        return build(), False
    body, versions = _lookup(key, version_keys)
    if body is not None:
        return body, True
    lock = f"{key}:building"
    # False: someone else is building it. None: the cache is unreachable, just build.
    if cache.add(lock, 1, timeout=LOCK_SECONDS) is False:
        for pause in WAITS:
            time.sleep(pause)
            body, versions = _lookup(key, version_keys)
            if body is not None:
                return body, True
    try:
        body = build()
        # Stored under the versions read *before* building: if a write bumped a counter
        # meanwhile, this entry is already outdated and the next read rebuilds it.
        cache.set(key, (versions, body), timeout=ttl)
    finally:
        cache.delete(lock)
    return body, False

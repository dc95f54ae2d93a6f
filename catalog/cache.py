"""Version counters for cached catalog reads.

A cached read is stored with the values of its counters; writes bump them in
`transaction.on_commit`, so the next read after a committed write misses and sees the write,
and a rolled-back write changes nothing. One counter for the whole catalog (lists, barcode
lookups, low stock) and one per product (detail).

A missing counter reads as 0 and starts, when bumped, at the current time in nanoseconds, so an
evicted or flushed counter makes entries miss; it can never make an old entry valid again.
If the cache is down, every read goes to the database.
"""

import hashlib
import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from pospro import cache_batch
from pospro.api.response_cache import cached_bytes

CATALOG_VERSION_KEY = "catalog:v"


def product_version_key(product_id) -> str:
    return f"product:{product_id}:v"


def catalog_version() -> int:
    return cache.get(CATALOG_VERSION_KEY) or 0


def product_version(product_id) -> int:
    return cache.get(product_version_key(product_id)) or 0


def bump_now(product_ids: Iterable = ()) -> None:
    keys = [CATALOG_VERSION_KEY, *(product_version_key(pid) for pid in set(product_ids))]
    cache_batch.bump(keys, start=time.time_ns())


def invalidate_on_commit(product_ids: Iterable = ()) -> None:
    """Bump the catalog counter and each product's when the surrounding transaction commits."""
    ids = frozenset(product_ids)
    transaction.on_commit(lambda: bump_now(ids))


def read_through(namespace: str, version_keys: list[str], parts: Iterable, compute) -> bytes:
    """Rendered bytes for (namespace, parts), valid while the named version counters stand.

    `parts` is everything besides the versions that changes the answer (role, branch, query).
    One MGET checks the entry against the counters (pospro.api.response_cache), with
    stampede protection on a miss; POSPRO_CACHE_TTL=0 turns caching off.
    """
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]
    body, _ = cached_bytes(
        f"catalog:{namespace}:{digest}", version_keys, compute, ttl=settings.POSPRO_CACHE_TTL
    )
    return body

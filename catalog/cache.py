"""Version counters for cached catalog reads.

Cached reads put a version in their key; writes bump it in `transaction.on_commit`, so the next
read after a committed write misses and sees the write, and a rolled-back write changes nothing.
One counter for the whole catalog (lists, barcode lookups) and one per product (detail).

A missing counter (first use, eviction, flush) starts at the current time in nanoseconds, never
at a small number, so a restarted counter cannot meet entries cached under an old value.
If the cache is down, reads get version 0 and go to the database; nothing is stored.
"""

import hashlib
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")

CATALOG_VERSION_KEY = "catalog:v"


def product_version_key(product_id) -> str:
    return f"product:{product_id}:v"


def _current(key: str) -> int:
    value = cache.get(key)
    if value is None:
        cache.add(key, time.time_ns(), timeout=None)
        value = cache.get(key)
    return value or 0


def catalog_version() -> int:
    return _current(CATALOG_VERSION_KEY)


def product_version(product_id) -> int:
    return _current(product_version_key(product_id))


def _bump(key: str) -> None:
    try:
        cache.incr(key)
    except ValueError:
        if not cache.add(key, time.time_ns(), timeout=None):
            cache.incr(key)


def bump_now(product_ids: Iterable = ()) -> None:
    _bump(CATALOG_VERSION_KEY)
    for product_id in set(product_ids):
        _bump(product_version_key(product_id))


def invalidate_on_commit(product_ids: Iterable = ()) -> None:
    """Bump the catalog counter and each product's when the surrounding transaction commits."""
    ids = frozenset(product_ids)
    transaction.on_commit(lambda: bump_now(ids))


def read_through(namespace: str, version: int, parts: Iterable, compute: Callable[[], T]) -> T:
    """`compute()` once per version, context and TTL (settings.POSPRO_CACHE_TTL).

    `parts` is everything besides the version that changes the answer (role, branch, query).
    Version 0 means the cache is unreachable: compute and store nothing, so a flapping cache
    can never hand out an entry from before a write.
    """
    if not version:
        return compute()
    digest = hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:40]
    key = f"catalog:{namespace}:{version}:{digest}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, timeout=settings.POSPRO_CACHE_TTL)
    return value

"""Version keys of cached catalog reads (answers stored as bytes by `pospro.cache`).

One version for the whole catalog (lists, barcode lookups, low stock) and one per product
(detail). Writes move them when their transaction commits, so the next read shows the write.
"""

import hashlib
from collections.abc import Callable, Iterable

from django.conf import settings

from pospro.cache import bump_on_commit, cached_bytes

CATALOG_KEY = "catalog:v"


def product_key(product_id) -> str:
    return f"catalog:product:{product_id}:v"


def invalidate_on_commit(product_ids: Iterable = ()) -> None:
    """Move the catalog's version and each product's once the surrounding transaction commits."""
    bump_on_commit([CATALOG_KEY, *(product_key(pid) for pid in product_ids)])


def read_through(
    namespace: str, version_keys: list[str], parts: Iterable, build: Callable[[], bytes]
) -> bytes:
    """The bytes `build()` renders for (namespace, parts), cached while `version_keys` stand.

    `parts` is everything besides the versions that changes the answer (role, branch, query).
    """
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:40]
    return cached_bytes(
        f"catalog:{namespace}:{digest}", version_keys, build, ttl=settings.POSPRO_CACHE_TTL
    )

"""Answers cached as bytes under version keys, through Django's cache API (django-redis).

A write moves the version keys of what it changed once its transaction commits
(`bump_on_commit`), so a rolled-back write moves nothing. A cached answer is stored as
(the versions it was built under, its bytes); a read fetches the answer and the current
versions in one `get_many` and serves the bytes only while every version still matches, so the
read after a committed write misses and shows it.

A version is the time in nanoseconds plus a random sub-millisecond jitter: never a small counter
that a flushed cache could restart and meet old entries with. A missing version (never written,
evicted or expired) is started with `add`, which never overwrites a concurrent bump, so it can
only make entries miss. Versions expire after VERSION_TTL, longer than any cached answer lives.

If the cache is down, reads build their answer from the database and writes still succeed.
"""

import secrets
import time
from collections.abc import Callable, Iterable, Sequence

from django.core.cache import cache
from django.db import transaction

#: How long a version key lives without being moved (longer than any cached answer).
VERSION_TTL = 3 * 24 * 3600


def stamp() -> int:
    """A new version: now in nanoseconds, give or take a millisecond, unique."""
    return time.time_ns() + secrets.randbelow(1_000_000)


def bump_now(keys: Iterable[str]) -> None:
    cache.set_many(dict.fromkeys(keys, stamp()), timeout=VERSION_TTL)


def bump_on_commit(keys: Iterable[str]) -> None:
    """Move these version keys when the surrounding transaction commits."""
    keys = frozenset(keys)
    transaction.on_commit(lambda: bump_now(keys))


def _start_missing(found: dict, keys: Sequence[str]) -> bool:
    """Start the versions missing from `found` (in place); False if the cache is down."""
    missing = [key for key in keys if key not in found]
    if not missing:
        return True
    for key in missing:
        if not cache.add(key, stamp(), timeout=VERSION_TTL) and cache.get(key) is None:
            return False
    found.update(cache.get_many(missing))
    return all(key in found for key in keys)


def versions(keys: Sequence[str]) -> dict[str, int] | None:
    """The current versions of these keys; None if the cache is down."""
    found = cache.get_many(list(keys))
    return found if _start_missing(found, keys) else None


def cached_bytes(
    key: str, version_keys: Sequence[str], build: Callable[[], bytes], *, ttl: int
) -> bytes:
    """The bytes cached under `key` while `version_keys` stand, else `build()` (and cached)."""
    if ttl <= 0:
        return build()
    found = cache.get_many([key, *version_keys])
    entry = found.pop(key, None)
    if not _start_missing(found, version_keys):
        return build()
    current = tuple(found[name] for name in version_keys)
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == current:
        return entry[1]
    # Stored under the versions read *before* building: if a write moved one meanwhile, this
    # entry is already outdated and the next read builds it again.
    body = build()
    cache.set(key, (current, body), timeout=ttl)
    return body

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
A version move that did not reach the cache (Redis unreachable, or silently dropping packets) is
kept by the process: it is sent again before the process reads the cache, every second in the
background and, for a management command, before the process exits; until it has arrived, this
process serves nothing from the cache. So once Redis answers again, no answer the write should
have replaced is served.
"""

import atexit
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("pospro.cache")

T = TypeVar("T")

#: How long a version key lives without being moved (longer than any cached answer).
VERSION_TTL = 3 * 24 * 3600
#: How long an exiting process keeps trying to deliver its version moves.
EXIT_WAIT_SECONDS = 60
RETRY_SECONDS = 1.0

_undelivered: set[str] = set()
_lock = threading.Lock()
_retry: threading.Timer | None = None


def stamp() -> int:
    """A new version: now in nanoseconds, give or take a millisecond, unique."""
    return time.time_ns() + secrets.randbelow(1_000_000)


def _deliver(keys: set[str]) -> bool:
    """Move the versions and read them back: True when the cache holds the move (or a later one)."""
    value = stamp()
    cache.set_many(dict.fromkeys(keys, value), timeout=VERSION_TTL)
    found = cache.get_many(list(keys))
    return all(isinstance(found.get(key), int) and found[key] >= value for key in keys)


def bump_now(keys: Iterable[str]) -> None:
    """Move these version keys now, with any this process could not deliver before."""
    global _retry
    with _lock:
        keys = {*keys, *_undelivered}
        _undelivered.clear()
    if not keys or _deliver(keys):
        return
    logger.warning("cache: %d version moves not delivered, kept to send again", len(keys))
    with _lock:
        _undelivered.update(keys)
        if _retry is None or not _retry.is_alive() or _retry is threading.current_thread():
            _retry = threading.Timer(RETRY_SECONDS, bump_now, args=((),))
            _retry.daemon = True
            _retry.start()


def cache_is_current() -> bool:
    """Send this process's undelivered version moves again; False while one is still missing
    from the cache (nothing may be served from it then)."""
    if not _undelivered:
        return True
    bump_now(())
    return not _undelivered


@atexit.register
def _deliver_before_exit() -> None:
    """A management command (or a stopping worker) does not end with a move undelivered."""
    deadline = time.monotonic() + EXIT_WAIT_SECONDS
    while not cache_is_current() and time.monotonic() < deadline:
        time.sleep(0.25)
    if _undelivered:
        logger.error("cache: %d version moves never delivered", len(_undelivered))


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
    if not cache_is_current():
        return None
    found = cache.get_many(list(keys))
    return found if _start_missing(found, keys) else None


def cached_value(key: str, version_keys: Sequence[str], build: Callable[[], T], *, ttl: int) -> T:
    """The value cached under `key` while `version_keys` stand, else `build()` (and cached).

    The entry and the versions come in one `get_many`: a hit is one cache round trip.
    """
    if ttl <= 0 or not cache_is_current():
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
    value = build()
    cache.set(key, (current, value), timeout=ttl)
    return value


def cached_bytes(
    key: str, version_keys: Sequence[str], build: Callable[[], bytes], *, ttl: int
) -> bytes:
    """A whole answer's bytes, cached while `version_keys` stand (`cached_value`)."""
    return cached_value(key, version_keys, build, ttl=ttl)

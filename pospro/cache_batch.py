"""Several cache reads and one counter increment in a single Redis round trip.

On this stack a round trip to Redis costs more CPU (client, kernel, server) than anything a
cached request does with its answer, so the hottest paths batch theirs: authentication reads the
user's snapshot and counts the request for the throttle together, and a cached read checks its
entry against its version counters in the same MGET.

With django-redis the batch is one pipeline. With any other cache backend (the local-memory
default of the demo) it falls back to the cache API. If Redis is unreachable the batch finds
nothing and counts nothing, the same as django-redis's IGNORE_EXCEPTIONS: callers then read the
database and let the request through.
"""

import logging
from collections.abc import Sequence

from django.core.cache import cache

logger = logging.getLogger("pospro.cache")

try:  # the Redis client's errors, when django-redis is installed
    from redis.exceptions import RedisError
except ImportError:  # pragma: no cover - redis is a runtime dependency
    RedisError = OSError


def _redis_client():
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client


def fetch(
    keys: Sequence[str], *, counter: str | None = None, counter_ttl: int = 0
) -> tuple[dict, int | None]:
    """The values found under `keys`, and the value of `counter` after adding 1 to it (created
    with expiry `counter_ttl` seconds if new). The count is None when it could not be counted."""
    client = _redis_client()
    if client is None:
        return _fetch_with_cache_api(keys, counter, counter_ttl)
    try:
        redis = client.get_client(write=True)
        pipe = redis.pipeline(transaction=False)
        if keys:
            pipe.mget([cache.make_key(key) for key in keys])
        if counter is not None:
            name = cache.make_key(counter)
            pipe.incr(name)
            # Every hit renews the expiry; the key names a fixed window, so it dies soon after.
            pipe.expire(name, counter_ttl)
        replies = pipe.execute()
    except (RedisError, OSError) as exc:
        logger.warning("cache batch failed: %s", exc)
        return {}, None
    found = {}
    if keys:
        for key, raw in zip(keys, replies[0], strict=True):
            if raw is not None:
                found[key] = client.decode(raw)
    count = replies[-2] if counter is not None else None
    return found, count


def _fetch_with_cache_api(keys, counter, counter_ttl) -> tuple[dict, int | None]:
    found = cache.get_many(list(keys)) if keys else {}
    count = None
    if counter is not None:
        try:
            count = cache.incr(counter)
        except ValueError:  # first hit of the window
            count = 1 if cache.add(counter, 1, timeout=counter_ttl) else cache.incr(counter)
    return found, count


def bump(keys: Sequence[str], *, start: int) -> None:
    """Add 1 to each counter in one round trip; a missing counter starts at `start` first.
    A failure is logged and ignored: readers then miss or compute from the database."""
    client = _redis_client()
    if client is None:
        for key in keys:
            try:
                cache.incr(key)
            except ValueError:
                if not cache.add(key, start, timeout=None):
                    cache.incr(key)
        return
    try:
        pipe = client.get_client(write=True).pipeline(transaction=False)
        for key in keys:
            name = cache.make_key(key)
            pipe.set(name, start, nx=True)
            pipe.incr(name)
        pipe.execute()
    except (RedisError, OSError) as exc:
        logger.warning("cache bump failed: %s", exc)

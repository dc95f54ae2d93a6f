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


# Reads KEYS[1..n-1], counts KEYS[n] and renews its expiry (ARGV[1] seconds): one command, so
# one request, one reply to parse (a pipeline of MGET, INCR and EXPIRE cost the client a third
# more CPU here). A missing value comes back as nil.
_READ_AND_COUNT = """
local n = #KEYS
local out = {}
if n > 1 then out = redis.call('MGET', unpack(KEYS, 1, n - 1)) end
out[n] = redis.call('INCR', KEYS[n])
redis.call('EXPIRE', KEYS[n], ARGV[1])
return out
"""
_script = None


def _read_and_count(redis, names: list, ttl: int) -> list:
    global _script
    if _script is None:
        _script = redis.register_script(_READ_AND_COUNT)
    return _script(keys=names, args=[ttl], client=redis)


def fetch(
    keys: Sequence[str], *, counter: str | None = None, counter_ttl: int = 0
) -> tuple[dict, int | None]:
    """The values found under `keys`, and the value of `counter` after adding 1 to it (created
    with expiry `counter_ttl` seconds if new). The count is None when it could not be counted."""
    client = _redis_client()
    if client is None:
        return _fetch_with_cache_api(keys, counter, counter_ttl)
    names = [cache.make_key(key) for key in keys]
    try:
        redis = client.get_client(write=True)
        if counter is None:
            values, count = (redis.mget(names) if names else []), None
        else:
            *values, count = _read_and_count(redis, [*names, cache.make_key(counter)], counter_ttl)
    except (RedisError, OSError) as exc:
        logger.warning("cache batch failed: %s", exc)
        return {}, None
    pairs = zip(keys, values, strict=True)
    found = {key: client.decode(raw) for key, raw in pairs if raw is not None}
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

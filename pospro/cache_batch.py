"""Several cache reads and one counter increment in a single Redis round trip.

On this stack a round trip to Redis costs more CPU (client, kernel, server) than anything a
cached request does with its answer, so the hottest paths batch theirs: authentication reads the
user's snapshot and counts the request for the throttle together, and a cached read checks its
entry against its version counters in the same MGET.

With django-redis the batch is MGET, INCR and EXPIRE written as one packet on a connection this
thread keeps for itself (`_Lane`): redis-py's command layer (retries, pool checkout, event
hooks) cost 90 us of client CPU per call here, four times the socket work itself. If that
connection fails after having worked (Redis restarted, an idle connection closed), the call is
retried once through redis-py's own pipeline, which reconnects; a new one that cannot connect
is not retried (Redis is down: no second connect timeout).
With any other cache backend (the local-memory default of the demo) it falls back to the cache
API. If Redis is unreachable the batch finds nothing and counts nothing, the same as
django-redis's IGNORE_EXCEPTIONS: callers then read the database and let the request through.
"""

import logging
import os
import threading
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


class _Lane(threading.local):
    """This thread's own connection, made with the cache pool's settings but outside the pool
    (a thread that ends takes it along); made again in a forked worker or for another pool."""

    connection = None
    pool = None
    pid = 0
    worked = False  # has answered a call: a failure now is worth one retry

    def get(self, redis):
        pool = redis.connection_pool
        if self.connection is None or self.pool is not pool or self.pid != os.getpid():
            self.drop()
            self.connection = pool.connection_class(**pool.connection_kwargs)
            self.pool, self.pid = pool, os.getpid()
        return self.connection

    def drop(self) -> None:
        if self.connection is not None and self.pid == os.getpid():
            self.connection.disconnect()
        self.connection = self.pool = None
        self.worked = False


_lane = _Lane()


def _commands(names: list, counter: str | None, ttl: int) -> list:
    commands = [("MGET", *names)] if names else []
    if counter is not None:
        commands += [("INCR", counter), ("EXPIRE", counter, ttl)]
    return commands


def _on_lane(redis, commands: list) -> list:
    connection = _lane.get(redis)
    try:
        connection.send_packed_command(connection.pack_commands(commands))
        replies = [connection.read_response() for _ in commands]
    except (RedisError, OSError):
        retry = _lane.worked
        _lane.drop()  # replies may be left unread: never reuse the connection
        if not retry:
            raise
        return _pipelined(redis, commands)  # a connection from the pool, made anew if needed
    except BaseException:
        _lane.drop()
        raise
    _lane.worked = True
    return replies


def _pipelined(redis, commands: list) -> list:
    pipe = redis.pipeline(transaction=False)
    for command in commands:
        pipe.execute_command(*command)
    return pipe.execute()


def fetch(
    keys: Sequence[str], *, counter: str | None = None, counter_ttl: int = 0
) -> tuple[dict, int | None]:
    """The values found under `keys`, and the value of `counter` after adding 1 to it (created
    with expiry `counter_ttl` seconds if new). The count is None when it could not be counted."""
    if not keys and counter is None:
        return {}, None
    client = _redis_client()
    if client is None:
        return _fetch_with_cache_api(keys, counter, counter_ttl)
    names = [cache.make_key(key) for key in keys]
    commands = _commands(
        names, cache.make_key(counter) if counter is not None else None, counter_ttl
    )
    try:
        replies = _on_lane(client.get_client(write=True), commands)
    except (RedisError, OSError) as exc:
        logger.warning("cache batch failed: %s", exc)
        return {}, None
    values = replies[0] if names else []
    count = replies[-2] if counter is not None else None
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

"""Several cache reads and one counter increment in a single Redis round trip, or in none.

On this stack a round trip to Redis costs more CPU (client, kernel, server, and the scheduler
work of waiting for the reply under load) than anything a cached request does with its answer,
so the hottest paths batch theirs: authentication reads the user's snapshot and counts the
request for the throttle together, and a cached read checks its entry against its version
counters in the same MGET.

With django-redis the batch is MGET, INCRBY and EXPIRE written as one packet on a connection
this thread keeps for itself (`_Lane`): redis-py's command layer (retries, pool checkout, event
hooks) cost 90 us of client CPU per call here, four times the socket work itself. If that
connection fails after having worked (Redis restarted, an idle connection closed), the call is
retried once through redis-py's own pipeline, which reconnects; a new one that cannot connect
is not retried (Redis is down: no second connect timeout).

Two things let most authenticated requests skip the round trip altogether:

- Keys under a prefix registered with `serve_locally` (the user snapshots) are kept in the
  thread's own copy. Its connection speaks RESP3 with `CLIENT TRACKING ON BCAST PREFIX ...`:
  Redis announces every change of such a key (a write, a delete, an expiry, a flush) on this
  connection while it executes the change, and every call reads the announcements waiting on the
  socket before it uses a copy (one poll). A deactivated user's snapshot is replaced on commit,
  so the next request, in any worker, sees the announcement first. Copies die with the
  connection: after any failure the thread starts again from Redis (and the requests it had
  counted but not yet sent, at most COUNT_BATCH a counter, go uncounted).
- A counter given with its limit (the per-user throttle) is counted by the thread on its own
  between two round trips, at most `COUNT_BATCH` requests, `COUNT_AGE` seconds, and
  1/`COUNT_SHARE` of what was left of the limit at the last count; then its local count goes
  to Redis with INCRBY and the shared total comes back. Near the limit every request goes to
  Redis, so a refusal is always decided on the shared count; a client spreading its requests
  over N worker threads can pass the limit by at most N/`COUNT_SHARE` of it.

With any other cache backend (the local-memory default of the demo) it falls back to the cache
API. If Redis is unreachable the batch finds nothing and counts nothing, the same as
django-redis's IGNORE_EXCEPTIONS: callers then read the database and let the request through.
"""

import logging
import os
import threading
import time
from collections.abc import Sequence

from django.core.cache import cache

logger = logging.getLogger("pospro.cache")

try:  # the Redis client's errors, when django-redis is installed
    from redis.exceptions import RedisError, ResponseError
except ImportError:  # pragma: no cover - redis is a runtime dependency
    RedisError = ResponseError = OSError

COUNT_BATCH = 32
COUNT_AGE = 1.0
COUNT_SHARE = 16
#: Local copies and counters a thread keeps at most (then it starts afresh).
LANE_ENTRIES = 4096

_local_prefixes: list[str] = []


def serve_locally(prefix: str) -> None:
    """Let keys starting with `prefix` be served from each thread's copy (see above). Takes
    effect on the connections made from now on."""
    if prefix not in _local_prefixes:
        _local_prefixes.append(prefix)


def _redis_client():
    client = getattr(cache, "client", None)
    if client is None or not hasattr(client, "get_client"):
        return None
    return client


class _Tally:
    """A counter as this thread knows it: its shared value at the last round trip, and the
    requests counted here since."""

    __slots__ = ("known", "pending", "synced")

    def __init__(self, known: int):
        self.known, self.pending, self.synced = known, 0, time.monotonic()


class _Lane(threading.local):
    """This thread's own connection, made with the cache pool's settings but outside the pool
    (a thread that ends takes it along); made again in a forked worker or for another pool.
    Its copies of tracked keys and its counters live and die with it."""

    connection = None
    pool = None
    pid = 0
    worked = False  # has answered a call: a failure now is worth one retry
    prefixes: tuple = ()  # the tracked key prefixes (as stored, with the cache's own prefix)
    copies: dict = {}  # noqa: RUF012 - replaced per connection
    tallies: dict = {}  # noqa: RUF012 - replaced per connection

    def get(self, redis):
        pool = redis.connection_pool
        if self.connection is None or self.pool is not pool or self.pid != os.getpid():
            self.drop()
            self.connection = pool.connection_class(**{**pool.connection_kwargs, "protocol": 3})
            self.pool, self.pid = pool, os.getpid()
            self.copies, self.tallies = {}, {}
            self.connection.connect()
            self.prefixes = self._track(self.connection)
        return self.connection

    def _track(self, connection) -> tuple:
        prefixes = tuple(cache.make_key(prefix) for prefix in _local_prefixes)
        if not prefixes:
            return ()
        connection._parser.set_invalidation_push_handler(self._announced)
        args = [word for prefix in prefixes for word in ("PREFIX", prefix)]
        connection.send_command("CLIENT", "TRACKING", "ON", "BCAST", *args)
        try:
            connection.read_response()
        except ResponseError as exc:  # e.g. a proxy without tracking: no copies, still batches
            logger.warning("cache tracking refused: %s", exc)
            return ()
        return prefixes

    def _announced(self, message) -> None:
        """Redis's `invalidate` push: these keys changed (None: the database was flushed)."""
        keys = message[1]
        if keys is None:
            self.copies.clear()
            return
        for key in keys:
            self.copies.pop(key.decode() if isinstance(key, bytes) else key, None)

    def drop(self) -> None:
        if self.connection is not None and self.pid == os.getpid():
            self.connection.disconnect()
        self.connection = self.pool = None
        self.worked = False
        self.prefixes, self.copies, self.tallies = (), {}, {}

    def fetch(self, redis, names: dict, counter, ttl: int, limit, decode):
        connection = self.get(redis)
        copies = self.copies
        if copies:
            self._read_announcements(connection)
        found, wanted = {}, {}
        for key, name in names.items():
            if name in copies:
                found[key] = copies[name]
            else:
                wanted[key] = name
        add, count = self._count(counter, limit) if counter is not None else (0, None)
        commands = [("MGET", *wanted.values())] if wanted else []
        if add:
            commands += [("INCRBY", counter, add), ("EXPIRE", counter, ttl)]
        if not commands:
            return found, count
        connection.send_packed_command(connection.pack_commands(commands))
        if wanted:
            # Kept before reading further: an announcement that follows this reply in the
            # stream is about a later change, and must find the copy to drop it.
            self._keep(wanted, connection.read_response(), found, decode)
        if add:
            count = connection.read_response()
            connection.read_response()
            if limit is not None:
                self._counted(counter, count)
        self.worked = True
        return found, count

    def _read_announcements(self, connection) -> None:
        if connection._sock is None or connection._sock.fileno() < 0:
            raise OSError("the connection is closed")
        while connection.can_read(timeout=0):
            connection.read_response(push_request=True)

    def _keep(self, wanted: dict, raws: list, found: dict, decode) -> None:
        copies, prefixes = self.copies, self.prefixes
        for (key, name), raw in zip(wanted.items(), raws, strict=True):
            if raw is None:
                continue
            found[key] = value = decode(raw)
            if prefixes and name.startswith(prefixes):
                if len(copies) >= LANE_ENTRIES:
                    copies.clear()
                copies[name] = value

    def _count(self, counter: str, limit) -> tuple[int, int | None]:
        """(what to add to the counter in Redis now, the count when that is 0)."""
        tally = self.tallies.get(counter) if limit is not None else None
        if tally is None:
            return 1, None
        tally.pending += 1
        allowance = min((limit - tally.known) // COUNT_SHARE, COUNT_BATCH)
        if tally.pending <= allowance and time.monotonic() - tally.synced < COUNT_AGE:
            return 0, tally.known + tally.pending
        return tally.pending, None

    def _counted(self, counter: str, value: int) -> None:
        tally = self.tallies.get(counter)
        if tally is None:
            if len(self.tallies) >= LANE_ENTRIES:
                # Counters of past windows, mostly; one not yet sent loses its local count.
                self.tallies.clear()
            self.tallies[counter] = _Tally(value)
        else:
            tally.known, tally.pending, tally.synced = value, 0, time.monotonic()


_lane = _Lane()


def _pipelined(redis, names: dict, counter, ttl: int, decode) -> tuple[dict, int | None]:
    """The same batch through redis-py's pipeline (a pool connection, made anew if needed),
    nothing kept locally and the counter counted exactly."""
    pipe = redis.pipeline(transaction=False)
    if names:
        pipe.mget(list(names.values()))
    if counter is not None:
        pipe.incrby(counter, 1)
        pipe.expire(counter, ttl)
    replies = pipe.execute()
    values = replies[0] if names else []
    found = {key: decode(raw) for key, raw in zip(names, values, strict=True) if raw is not None}
    return found, (replies[-2] if counter is not None else None)


def fetch(
    keys: Sequence[str],
    *,
    counter: str | None = None,
    counter_ttl: int = 0,
    counter_limit: int | None = None,
) -> tuple[dict, int | None]:
    """The values found under `keys`, and the value of `counter` after adding 1 to it (created
    with expiry `counter_ttl` seconds if new). The count is None when it could not be counted.
    With `counter_limit`, the count may be this thread's own estimate (see above)."""
    if not keys and counter is None:
        return {}, None
    client = _redis_client()
    if client is None:
        return _fetch_with_cache_api(keys, counter, counter_ttl)
    names = {key: cache.make_key(key) for key in keys}
    name = cache.make_key(counter) if counter is not None else None
    redis = client.get_client(write=True)
    try:
        try:
            return _lane.fetch(redis, names, name, counter_ttl, counter_limit, client.decode)
        except (RedisError, OSError):
            retry = _lane.worked
            _lane.drop()  # replies may be left unread: never reuse the connection
            if not retry:
                raise
            return _pipelined(redis, names, name, counter_ttl, client.decode)
        except BaseException:
            _lane.drop()
            raise
    except (RedisError, OSError) as exc:
        logger.warning("cache batch failed: %s", exc)
        return {}, None


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

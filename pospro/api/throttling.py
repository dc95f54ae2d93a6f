"""DRF rate throttles counted exactly in the shared cache, one atomic increment a request.

DRF's own SimpleRateThrottle reads a list of timestamps and writes it back: two workers reading
the same list both let a request through, so N parallel requests can pass a limit of one. Here
each (scope, client, clock window) has a counter that `cache.incr` raises atomically (INCRBY in
Redis, shared by every worker and server), so N requests a window means N. Windows are fixed
(per clock minute for "/min"): a client can send up to twice the rate across a boundary, the
usual trade for one round trip. Rates are read from settings on every request.

If the cache cannot count (Redis down), each process counts on its own (`_LocalCounts`).
"""

import math
import threading
import time

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class _LocalCounts:
    """This process's own window counters, used only while the shared cache cannot count: a
    client then gets the rate from each worker process, never an unlimited number."""

    def __init__(self, size: int = 10_000):
        self._size = size
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def incr(self, key: str) -> int:
        with self._lock:
            if len(self._counts) >= self._size:
                self._counts.clear()  # mostly past windows' counters
            self._counts[key] = count = self._counts.get(key, 0) + 1
            return count


_local_counts = _LocalCounts()


class FixedWindowRateThrottle(SimpleRateThrottle):
    def timer(self) -> float:
        # A method, not DRF's class attribute `timer = time.time`: a frozen clock in tests
        # replaces that attribute with a plain function, which then gets `self`.
        return time.time()

    def get_rate(self) -> str | None:
        return settings.POSPRO_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        ident = self.get_cache_key(request, view)
        if ident is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self.wait_seconds = (window + 1) * self.duration - now
        key = f"throttle:{self.scope}:{ident}:{window}"
        return self._count(key) <= self.num_requests

    def _count(self, key: str) -> int:
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request, unless another one just created it
            added = self.cache.add(key, 1, timeout=self.duration + 1)
            count = 1 if added else self._incr_existing(key) if added is False else None
        if count is None:  # the cache is down (django-redis answers None): count here
            return _local_counts.incr(key)
        return count

    def _incr_existing(self, key: str) -> int | None:
        try:
            return self.cache.incr(key)
        except ValueError:  # expired in between
            return None

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


class UserRateThrottle(FixedWindowRateThrottle):
    """Authenticated calls per user; anonymous ones per client IP."""

    scope = "user"

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            return str(request.user.pk)
        return f"anon:{self.get_ident(request)}"

"""DRF rate throttles counted exactly in the shared cache, one atomic increment a request.

DRF's own SimpleRateThrottle reads a list of timestamps and writes it back: two workers reading
the same list both let a request through, so N parallel requests can pass a limit of one. Here
each (scope, client, clock window) has a counter that `cache.incr` raises atomically (INCRBY in
Redis, shared by every worker and server), so N requests a window means N. Windows are fixed
(per clock minute for "/min"): a client can send up to twice the rate across a boundary, the
usual trade for one round trip. Rates are read from settings on every request.

If the cache cannot count (Redis down), the request is let through.
"""

import hashlib
import math

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class FixedWindowRateThrottle(SimpleRateThrottle):
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
            return self.cache.incr(key) or 0  # None: the cache is down
        except ValueError:  # the window's first request
            if self.cache.add(key, 1, timeout=self.duration + 1):
                return 1
        try:  # another request created it first
            return self.cache.incr(key) or 0
        except ValueError:  # or the cache is down
            return 0

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


class UserRateThrottle(FixedWindowRateThrottle):
    """Authenticated calls per user; anonymous ones per client IP."""

    scope = "user"

    def get_cache_key(self, request, view) -> str:
        if request.user and request.user.is_authenticated:
            return str(request.user.pk)
        return f"anon:{self.get_ident(request)}"


class LoginIPThrottle(FixedWindowRateThrottle):
    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return f"ip:{self.get_ident(request)}"


class LoginEmailThrottle(FixedWindowRateThrottle):
    """Per target account, so one attacker spreading over many IPs is still slowed down."""

    scope = "login"

    def get_cache_key(self, request, view) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email:
            return None
        return "email:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]

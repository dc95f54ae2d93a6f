"""Throttles: fixed-window counters in the default cache, rates read from settings per request.

One atomic INCR per request in the common case (DRF's own throttles read and rewrite a pickled
list of timestamps instead). The counters live in Redis in production, so every worker and
server shares them; if Redis is down, requests are let through rather than refused.
A fixed window can let up to twice the rate through across a window boundary; for login and
API abuse limits that is the usual trade for one round trip.
"""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle


class SettingsRateThrottle(BaseThrottle):
    scope = ""
    cache_format = "throttle:%(scope)s:%(ident)s"

    def get_rate(self) -> str | None:
        return settings.POSPRO_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = self.get_rate()
        key = self.get_cache_key(request, view) if rate else None
        if key is None:
            return True
        limit, period = SimpleRateThrottle.parse_rate(None, rate)
        now = time.time()
        window = int(now // period)
        window_key = f"{key}:{window}"
        try:
            count = cache.incr(window_key)
        except ValueError:  # first request of the window
            count = 1 if cache.add(window_key, 1, timeout=period + 1) else cache.incr(window_key)
        self.wait_seconds = (window + 1) * period - now
        # None: the cache is unreachable (errors ignored); let the request through.
        return count is None or count <= limit

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


class UserRateThrottle(SettingsRateThrottle):
    """Authenticated calls per user; anonymous ones per client IP."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return self.cache_format % {"scope": "user", "ident": request.user.pk}
        return self.cache_format % {"scope": "anon", "ident": self.get_ident(request)}


class LoginIPThrottle(SettingsRateThrottle):
    scope = "login"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": "login-ip", "ident": self.get_ident(request)}


class LoginEmailThrottle(SettingsRateThrottle):
    """Per target account, so one attacker spreading over many IPs is still slowed down."""

    scope = "login"

    def get_cache_key(self, request, view):
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email:
            return None
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
        return self.cache_format % {"scope": "login-email", "ident": digest}

"""Throttles: fixed-window counters in the default cache, rates read from settings per request.

One atomic INCR per request (DRF's own throttles read and rewrite a pickled list of timestamps
instead); for an authenticated request it travels in authentication's own Redis command, with
the user snapshot (accounts.auth, pospro.cache_batch). The counters live in Redis in production,
so every worker and server shares them; if Redis is down, requests are let through rather than
refused. A fixed window can let up to twice the rate through across a window boundary; for login and
API abuse limits that is the usual trade for one round trip.
"""

import hashlib
import math
import time
from typing import NamedTuple

from django.conf import settings
from rest_framework.throttling import BaseThrottle, SimpleRateThrottle

from pospro import cache_batch

USER_KEY = "throttle:user:%s"


class Window(NamedTuple):
    """The fixed window a request falls in: its counter key, size and the rate's limit."""

    key: str
    period: int
    limit: int
    wait: float


def window_for(key: str, rate: str | None, now: float | None = None) -> Window | None:
    if not rate:
        return None
    limit, period = SimpleRateThrottle.parse_rate(None, rate)
    now = time.time() if now is None else now
    number = int(now // period)
    return Window(f"{key}:{number}", period, limit, (number + 1) * period - now)


def user_window(user_id) -> Window | None:
    """The per-user window now; authentication counts it in its own round trip."""
    return window_for(USER_KEY % user_id, settings.POSPRO_THROTTLE_RATES.get("user"))


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
        window = window_for(key, rate) if key else None
        if window is None:
            return True
        counted = getattr(request, "pospro_throttle", None)
        if counted is not None and counted[0] == window.key:
            count = counted[1]  # counted by authentication, in the snapshot's round trip
        else:
            _, count = cache_batch.fetch([], counter=window.key, counter_ttl=window.period + 1)
        self.wait_seconds = window.wait
        # None: the cache is unreachable (errors ignored); let the request through.
        return count is None or count <= window.limit

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


class UserRateThrottle(SettingsRateThrottle):
    """Authenticated calls per user; anonymous ones per client IP."""

    scope = "user"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return USER_KEY % request.user.pk
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

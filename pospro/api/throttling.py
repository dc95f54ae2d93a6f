"""Throttles whose rates are read from settings at request time (so tests and ops can change them).

The history lives in the default cache: Redis in production, so every worker shares it.
"""

import hashlib

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle


class SettingsRateThrottle(SimpleRateThrottle):
    cache_format = "throttle:%(scope)s:%(ident)s"

    def __init__(self):
        # The rate is looked up per request in allow_request; nothing to parse here.
        pass

    def get_rate(self):
        return settings.POSPRO_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


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

"""The login's throttles: per client IP, and per target account."""

import hashlib

from accounts.models import normalize_email
from pospro.api.throttling import FixedWindowRateThrottle


class LoginIPThrottle(FixedWindowRateThrottle):
    scope = "login"

    def get_cache_key(self, request, view) -> str:
        return f"ip:{self.get_ident(request)}"


class LoginEmailThrottle(FixedWindowRateThrottle):
    """Per target account, so one attacker spreading over many IPs is still slowed down. Keyed
    by the email's one stored spelling: look-alike spellings share the count."""

    scope = "login"

    def get_cache_key(self, request, view) -> str | None:
        email = request.data.get("email") if isinstance(request.data, dict) else None
        if not isinstance(email, str) or not email:
            return None
        return "email:" + hashlib.sha256(normalize_email(email).encode()).hexdigest()[:32]

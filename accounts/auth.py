"""simplejwt's JWT authentication, with the user read through a short-lived cached copy.

Every request needs the user's current role, branch and active flag. The user row is cached
under `auth:user:<id>` (one cache read); a miss reads it by primary key and caches it. Every
save or delete of a user (services, admin, shell) replaces the entry with a short "stale" marker
at once and again when its transaction commits (accounts.signals), so a deactivation, role or
branch change applies to the very next request. While the marker stands, requests read the
database and never put a copy back (`cache.add` does not overwrite it), so a reader that loaded
the old row just before the change cannot cache it after.
"""

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User

STALE = "stale"
STALE_SECONDS = 30


def user_authentication_rule(user) -> bool:
    return user is not None and user.is_active


def _key(user_id) -> str:
    return f"auth:user:{user_id}"


def forget_user(user_id) -> None:
    """Called when a user changes: requests read the database again, from now (while the change
    is uncommitted they see the old row, which is right) and again from the commit on."""

    def mark() -> None:
        cache.set(_key(user_id), STALE, timeout=STALE_SECONDS)

    mark()
    transaction.on_commit(mark)


def load_active_user(user_id) -> User | None:
    """The user if active: the cached copy, else one primary-key query (cached afterwards)."""
    cached = cache.get(_key(user_id))
    if isinstance(cached, User):
        return cached if cached.is_active else None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return None
    if cached != STALE:
        cache.add(_key(user_id), user, timeout=settings.POSPRO_AUTH_SNAPSHOT_TTL)
    return user if user.is_active else None


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, with the user read through the cached copy above."""

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        try:
            user = load_active_user(user_id)
        except (ValueError, TypeError, ValidationError):  # a user id that is not a UUID
            user = None
        if user is None:
            raise AuthenticationFailed("User not found or inactive", code="user_inactive")
        return user

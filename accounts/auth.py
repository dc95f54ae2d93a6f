"""JWT authentication with a cheap, still immediate, check that the user may act.

Each request needs the user's current role, branch and active flag. Reading them from the
database costs a query (about 0.3 ms of CPU here); a snapshot in the cache costs one Redis GET,
and that GET travels in the same round trip as the request's throttle count
(`pospro.cache_batch`). Most requests skip even that: each worker thread keeps the snapshots it
has read, Redis announces every change of one on the thread's connection, and the thread reads
those announcements (one poll of its socket) before it trusts a copy; the throttle is counted
locally between round trips. Every save of a user (services, admin) replaces the snapshot with a
short "stale" marker when its transaction commits, so a deactivation, role or branch change
applies to the very next request. The marker also stops a reader that loaded the old row just
before the change from putting the old snapshot back (`cache.add` does not overwrite it).

A token's signature is checked once per process: the validated token is remembered under its
exact text until it expires (access tokens are not revocable before expiry in PosPro; a
deactivated user is refused through the snapshot whatever the token).
"""

import threading
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.base import ModelState
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User
from pospro import cache_batch
from pospro.api import throttling

SNAPSHOT_FIELDS = (
    "email", "name", "role", "branch_id", "is_active", "is_staff", "is_superuser", "created_at",
)  # fmt: skip
STALE = "stale"
STALE_SECONDS = 30
TOKEN_MEMO_SIZE = 10_000


def user_authentication_rule(user) -> bool:
    return user is not None and user.is_active


KEY_PREFIX = "auth:user:"
# Each worker thread keeps the snapshots it has read, and Redis announces every change of one
# to it (pospro.cache_batch): most requests need no round trip at all.
cache_batch.serve_locally(KEY_PREFIX)


def _key(user_id) -> str:
    return f"{KEY_PREFIX}{user_id}"


def forget_user(user_id) -> None:
    """Called when a user changes: requests read the database again, from now (while the change
    is uncommitted they see the old row, which is right) and again from the commit on."""

    def mark() -> None:
        cache.set(_key(user_id), STALE, timeout=STALE_SECONDS)

    mark()
    transaction.on_commit(mark)


def _from_snapshot(user_id, snapshot: dict) -> User:
    """A User built from the snapshot without Model.__init__ (a tenth of its cost); any field
    outside the snapshot is deferred, so reading it loads it from the database."""
    user = User.__new__(User)
    user.__dict__.update(snapshot)
    user.id = user_id
    user._state = ModelState()
    user._state.adding = False
    user._state.db = "default"
    return user


def _resolve(user_id, snapshot) -> User | None:
    if isinstance(snapshot, dict):
        return _from_snapshot(user_id, snapshot) if snapshot["is_active"] else None
    try:
        user = User.objects.only("id", *SNAPSHOT_FIELDS).get(pk=user_id)
    except (User.DoesNotExist, ValueError, TypeError):
        return None
    if snapshot != STALE:
        fields = {name: getattr(user, name) for name in SNAPSHOT_FIELDS}
        cache.add(_key(user_id), fields, timeout=settings.POSPRO_AUTH_SNAPSHOT_TTL)
    return user if user.is_active else None


def load_active_user(user_id) -> User | None:
    return _resolve(user_id, cache.get(_key(user_id)))


def authenticate_user(user_id, request) -> User | None:
    """The active user `user_id`, or None; counts the request for the per-user throttle in the
    same round trip and leaves the count on `request` (see throttling.UserRateThrottle)."""
    window = throttling.user_window(user_id)
    if window is None:
        return load_active_user(user_id)
    found, count = cache_batch.fetch(
        [_key(user_id)],
        counter=window.key,
        counter_ttl=window.period + 1,
        counter_limit=window.limit,
    )
    request.pospro_throttle = (window.key, count)
    return _resolve(user_id, found.get(_key(user_id)))


class _TokenMemo:
    """Validated tokens by their exact text, until they expire."""

    def __init__(self, size: int):
        self._size = size
        self._items: dict = {}
        self._lock = threading.Lock()

    def get(self, raw: bytes):
        hit = self._items.get(raw)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        return None

    def put(self, raw: bytes, token) -> None:
        with self._lock:
            if len(self._items) >= self._size:
                now = time.time()
                self._items = {k: v for k, v in self._items.items() if v[1] > now}
                if len(self._items) >= self._size:
                    self._items.clear()
            self._items[raw] = (token, token.payload.get("exp", 0))


_tokens = _TokenMemo(TOKEN_MEMO_SIZE)


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, with the user read through the snapshot above."""

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw_token = self.get_raw_token(header)
        if raw_token is None:
            return None
        validated_token = self.get_validated_token(raw_token)
        return self.get_user(validated_token, getattr(request, "_request", request)), (
            validated_token
        )

    def get_validated_token(self, raw_token):
        token = _tokens.get(raw_token)
        if token is None:
            token = super().get_validated_token(raw_token)
            _tokens.put(raw_token, token)
        return token

    def get_user(self, validated_token, request=None):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        # Without the request (simplejwt's own callers) there is no throttle count to carry.
        user = authenticate_user(user_id, request) if request else load_active_user(user_id)
        if user is None:
            raise AuthenticationFailed("User not found or inactive", code="user_inactive")
        return user

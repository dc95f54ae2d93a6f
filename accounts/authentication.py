"""simplejwt's authentication with the user's row served from the cache while no user changed.

The token's signature and expiry are checked by simplejwt on every request, as always. The user
it names is read by primary key once, then kept in the cache (every field but the password hash)
under `USERS_KEY`, a version that every write to a user moves when it commits (accounts.cache):
`save()` and `delete()` (the API's services, the admin, `createsuperuser`, `changepassword`, the
demo seeder) through post_save / post_delete, `QuerySet.update()` and `bulk_update()` through
`accounts.models.UserQuerySet`. So a deactivation, a role or a branch change is seen by every
worker at the next request, and a read costs one cache round trip (the user's entry and the
version in one `get_many`).

The version move goes through `pospro.cache.bump_now`: a move the cache did not receive (Redis
unreachable or dropping packets) is kept and sent again, and until it has arrived the process
that made it serves nothing from the cache, so it reads users by primary key. With the cache
down or `POSPRO_CACHE_TTL=0`, every request reads the user by primary key.
"""

from django.conf import settings
from django.db import router
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings

from accounts.cache import USERS_KEY, user_key
from accounts.models import User
from pospro.cache import cached_value

#: What a request's user carries: the concrete fields but the password hash (loaded from the
#: database if something asks for it, e.g. a password check).
SNAPSHOT_FIELDS = tuple(f.attname for f in User._meta.concrete_fields if f.attname != "password")


def _snapshot(user_id) -> dict | None:
    return User.objects.filter(pk=user_id).values(*SNAPSHOT_FIELDS).first()


def cached_user(user_id) -> User | None:
    """The user with this primary key, from the cache while no user changed; None if none."""
    fields = cached_value(
        user_key(user_id), [USERS_KEY], lambda: _snapshot(user_id), ttl=settings.POSPRO_CACHE_TTL
    )
    if fields is None:
        return None
    # Model.from_db: a user loaded with some fields deferred (the password), as `.defer()` gives.
    return User.from_db(router.db_for_read(User), list(fields), list(fields.values()))


class CachedUserJWTAuthentication(JWTAuthentication):
    """JWTAuthentication whose user comes from `cached_user`: the same checks (the user exists
    and is active), one cache round trip instead of a primary-key query."""

    def get_user(self, validated_token):
        user_id = validated_token.get(api_settings.USER_ID_CLAIM)
        if user_id is None or api_settings.CHECK_REVOKE_TOKEN:
            return super().get_user(validated_token)
        user = cached_user(user_id)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user

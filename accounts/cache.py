"""The version of every user's cached row (accounts.authentication serves requests' users from
the cache while it stands). Any committed write to a user moves it."""

from pospro.cache import bump_on_commit

#: One version for all users: they change seldom, and one version needs no list of the rows an
#: `update()` touched.
USERS_KEY = "accounts:users:v"


def user_key(user_id) -> str:
    return f"accounts:user:{user_id}"


def invalidate_users_on_commit() -> None:
    """Move the users' version when the surrounding transaction commits."""
    bump_on_commit([USERS_KEY])


def user_saved_or_deleted(sender, **kwargs) -> None:
    """post_save / post_delete of a user, whoever wrote it: the API's services, the admin,
    `createsuperuser`, `changepassword`, the demo seeder (connected in AccountsConfig.ready)."""
    invalidate_users_on_commit()

"""JWT authentication: the user is loaded per request, so a deactivated user is refused at once."""

from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from accounts.models import User


def user_authentication_rule(user) -> bool:
    return user is not None and user.is_active


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's, with the branch loaded alongside the user (every scoped query needs it)."""

    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        try:
            user = User.objects.select_related("branch").get(pk=user_id)
        except (User.DoesNotExist, ValueError) as exc:
            raise AuthenticationFailed("User not found", code="user_not_found") from exc
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        return user

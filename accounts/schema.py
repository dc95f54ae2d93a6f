"""OpenAPI description of PosPro's JWT authentication (bearer, HS256)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class PosProJWTScheme(SimpleJWTScheme):
    target_class = "accounts.auth.JWTAuthentication"
    name = "jwtAuth"

"""OpenAPI description of PosPro's JWT authentication (bearer, HS256)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class PosProJWTScheme(SimpleJWTScheme):
    target_class = "rest_framework_simplejwt.authentication.JWTAuthentication"
    name = "jwtAuth"
    priority = 1  # over drf-spectacular's own extension for the same class
    match_subclasses = True  # accounts.authentication.CachedUserJWTAuthentication

"""Reusable role permissions. Object scope (branch) lives in the querysets, see scoping.py."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


def has_role(user, *roles: str) -> bool:
    return bool(user and user.is_authenticated and user.role in roles)


class IsAdmin(BasePermission):
    message = "Only admins may do this."

    def has_permission(self, request, view):
        return has_role(request.user, Role.ADMIN)


class IsManagerOrAdmin(BasePermission):
    message = "Only managers and admins may do this."

    def has_permission(self, request, view):
        return has_role(request.user, Role.ADMIN, Role.MANAGER)


class ReadOnlyOrAdmin(BasePermission):
    """Everyone authenticated reads; only admins write (branches)."""

    message = "Only admins may change this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return has_role(request.user, Role.ADMIN)


class ReadOnlyOrManager(BasePermission):
    """Everyone authenticated reads; managers and admins write (catalog)."""

    message = "Only managers and admins may change this."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return has_role(request.user, Role.ADMIN, Role.MANAGER)

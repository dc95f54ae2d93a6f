"""Branch scoping: every queryset of branch-owned data passes through here.

Admins see every branch; managers and cashiers only their own. Objects outside the scope are
filtered out of the queryset, so a detail lookup answers 404 and a list never leaks them.
"""

import uuid

from django.db.models import QuerySet

from accounts.models import Branch, Role
from pospro.exceptions import Forbidden, NotFound, ValidationFailed


def for_user(queryset: QuerySet, user, *, field: str = "branch") -> QuerySet:
    """Restrict `queryset` to the rows of the user's branch (all rows for admins)."""
    if user.role == Role.ADMIN:
        return queryset
    if user.branch_id is None:
        return queryset.none()
    return queryset.filter(**{f"{field}_id": user.branch_id})


def branches_for(user) -> QuerySet:
    """The branches whose rows the user sees: all for admins, their own for everyone else (the
    back-office's branch filters and pickers offer these)."""
    if user.role == Role.ADMIN:
        return Branch.objects.all()
    return Branch.objects.filter(pk=user.branch_id)  # none for a user without a branch


def parse_uuid(value, *, field: str) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError) as exc:
        raise ValidationFailed.field(field, "invalid", "Must be a valid UUID.") from exc


def branch_filter(user, branch_id) -> uuid.UUID | None:
    """The branch a read is about. Managers and cashiers are forced to their own branch.

    An admin may name any existing branch or none (all branches). Branches are visible to everyone,
    so a manager or cashier naming another one is refused with 403, not hidden with 404.
    """
    if user.role == Role.ADMIN:
        if branch_id in (None, ""):
            return None
        branch_uuid = parse_uuid(branch_id, field="branch_id")
        if not Branch.objects.filter(pk=branch_uuid).exists():
            raise NotFound("Branch not found.")
        return branch_uuid
    if branch_id not in (None, "") and parse_uuid(branch_id, field="branch_id") != user.branch_id:
        raise Forbidden("You may only work with your own branch.")
    return user.branch_id


def branch_for_write(user, branch_id) -> Branch:
    """The branch a write goes to: the named one (admins, or one's own), else the caller's own."""
    if branch_id in (None, ""):
        if user.branch_id is None:
            raise ValidationFailed.field(
                "branch_id", "required", "Required for users without a branch."
            )
        return user.branch
    branch_uuid = parse_uuid(branch_id, field="branch_id")
    if user.role != Role.ADMIN and branch_uuid != user.branch_id:
        raise Forbidden("You may only work with your own branch.")
    try:
        return Branch.objects.get(pk=branch_uuid)
    except Branch.DoesNotExist as exc:
        raise NotFound("Branch not found.") from exc

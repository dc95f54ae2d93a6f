"""Writes for users, sessions (JWT) and branches. The API, the admin and commands all call these."""

import logging

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.models import Branch, Role, User, is_valid_email_key, normalize_email
from pospro.exceptions import DomainError, Forbidden, NotFound, ValidationFailed, field_error

logger = logging.getLogger("pospro.accounts")

# A real hash with the first hasher: unknown emails cost the same time as wrong passwords.
_DUMMY_PASSWORD_HASH: str | None = None


class AuthenticationFailed(DomainError):
    status_code = 401
    code = "authentication_failed"
    title = "Authentication failed"


class TokenNotValid(DomainError):
    status_code = 401
    code = "token_not_valid"
    title = "Token not valid"


def _validate_password(password: str, *, user: User | None, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise ValidationFailed.of(
            [field_error(field, "weak_password", message) for message in exc.messages]
        ) from exc


def token_pair(user: User) -> dict:
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": settings.ACCESS_TOKEN_LIFETIME_SECONDS,
    }


@transaction.atomic
def user_register(
    *,
    actor: User,
    email: str,
    password: str,
    name: str,
    role: str,
    branch_id=None,
) -> User:
    """Admins create anyone; managers create cashiers of their own branch only."""
    if role not in Role.values:
        raise ValidationFailed.field("role", "invalid_choice", f'"{role}" is not a valid role.')
    if actor.role == Role.MANAGER:
        if role != Role.CASHIER:
            raise Forbidden("Managers may only register cashiers.")
        if branch_id not in (None, "") and str(branch_id) != str(actor.branch_id):
            raise Forbidden("Managers may only register cashiers of their own branch.")
        branch = actor.branch
    elif actor.role == Role.ADMIN:
        branch = None
        if branch_id not in (None, ""):
            branch = Branch.objects.filter(pk=branch_id).first()
            if branch is None:
                raise ValidationFailed.field("branch_id", "does_not_exist", "Unknown branch.")
        if role != Role.ADMIN and branch is None:
            raise ValidationFailed.field(
                "branch_id", "required", "Managers and cashiers need a branch."
            )
    else:
        raise Forbidden("Only admins and managers may register users.")

    email = normalize_email(email)
    if not is_valid_email_key(email):
        raise ValidationFailed.field("email", "invalid", "Use an email address in ASCII letters.")
    if User.objects.filter(email=email).exists():
        raise ValidationFailed.field("email", "unique", "A user with this email already exists.")
    candidate = User(email=email, name=name, role=role, branch=branch)
    _validate_password(password, user=candidate, field="password")
    try:
        with transaction.atomic():
            return User.objects.create_user(
                email=email, password=password, name=name, role=role, branch=branch
            )
    except IntegrityError as exc:  # a concurrent registration of the same email
        raise ValidationFailed.field(
            "email", "unique", "A user with this email already exists."
        ) from exc


def auth_login(*, email: str, password: str) -> dict:
    """Same answer and about the same time for unknown email, wrong password and inactive user."""
    email = normalize_email(email)
    user = User.objects.filter(email=email).first() if is_valid_email_key(email) else None
    if user is None:
        # Spend the hashing time anyway so response time does not reveal which emails exist.
        check_password(password, _dummy_hash())
        raise AuthenticationFailed("Invalid email or password.")
    if not user.check_password(password) or not user.is_active:
        raise AuthenticationFailed("Invalid email or password.")
    return token_pair(user)


def _dummy_hash() -> str:
    global _DUMMY_PASSWORD_HASH
    if _DUMMY_PASSWORD_HASH is None:
        _DUMMY_PASSWORD_HASH = make_password("pospro-dummy-password")
    return _DUMMY_PASSWORD_HASH


def _parse_refresh(token: str) -> RefreshToken:
    try:
        return RefreshToken(token)
    except TokenError as exc:
        raise TokenNotValid("Token is invalid, expired or revoked.") from exc


@transaction.atomic
def auth_refresh(*, refresh_token: str) -> dict:
    """Rotate: the presented refresh token is blacklisted and a new pair issued.

    The outstanding-token row is locked so two concurrent uses of one token cannot both succeed.
    """
    refresh = _parse_refresh(refresh_token)
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=refresh["jti"]).first()
    )
    if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
        raise TokenNotValid("Token is invalid, expired or revoked.")
    user = User.objects.filter(pk=refresh.get("user_id"), is_active=True).first()
    if user is None:
        raise TokenNotValid("Token is invalid, expired or revoked.")
    BlacklistedToken.objects.create(token=outstanding)
    return token_pair(user)


@transaction.atomic
def auth_logout(*, user: User, refresh_token: str) -> None:
    try:
        refresh = RefreshToken(refresh_token)
    except TokenError as exc:
        raise ValidationFailed.field(
            "refresh_token", "token_not_valid", "Token is invalid or expired."
        ) from exc
    if str(refresh.get("user_id")) != str(user.pk):
        raise ValidationFailed.field(
            "refresh_token", "token_not_valid", "Token belongs to another user."
        )
    outstanding = OutstandingToken.objects.filter(jti=refresh["jti"]).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


def user_revoke_refresh_tokens(*, user: User) -> int:
    """Blacklist every outstanding refresh token of the user; returns how many were revoked."""
    pending = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in pending]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


@transaction.atomic
def user_change_password(*, user: User, old_password: str, new_password: str) -> None:
    # The request's user may be an authentication snapshot without the password hash.
    user = User.objects.select_for_update().get(pk=user.pk)
    if not user.check_password(old_password):
        raise ValidationFailed.field("old_password", "invalid", "The current password is wrong.")
    _validate_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    user_revoke_refresh_tokens(user=user)


@transaction.atomic
def user_set_active(*, user: User, is_active: bool) -> User:
    """Deactivation refuses access tokens at the next request and revokes refresh tokens."""
    user.is_active = is_active
    user.save(update_fields=["is_active"])
    if not is_active:
        user_revoke_refresh_tokens(user=user)
    return user


_BRANCH_FIELDS = ("code", "name", "address", "phone", "is_active")


@transaction.atomic
def branch_create(**fields) -> Branch:
    code = fields["code"].strip()
    if Branch.objects.filter(code__iexact=code).exists():
        raise ValidationFailed.field("code", "unique", "A branch with this code already exists.")
    return Branch.objects.create(**{k: v for k, v in fields.items() if k in _BRANCH_FIELDS})


@transaction.atomic
def branch_update(*, branch: Branch, **fields) -> Branch:
    code = fields.get("code")
    if code and Branch.objects.filter(code__iexact=code).exclude(pk=branch.pk).exists():
        raise ValidationFailed.field("code", "unique", "A branch with this code already exists.")
    for key, value in fields.items():
        if key in _BRANCH_FIELDS:
            setattr(branch, key, value)
    branch.save()
    return branch


@transaction.atomic
def branch_delete(*, branch: Branch) -> None:
    """Refused (409) while users, stock or sales refer to the branch: deactivate it instead."""
    if not Branch.objects.filter(pk=branch.pk).exists():
        raise NotFound("Branch not found.")
    branch.delete()

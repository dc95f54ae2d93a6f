"""Users, roles and branches: who may do what, and where."""

import unicodedata
import uuid

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import Group, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower

from accounts.cache import invalidate_users_on_commit

#: The admin group managers join (view permissions; see reporting.backoffice).
MANAGERS_GROUP = "Managers"


def normalize_email(email: str) -> str:
    """The one spelling of an email that PosPro stores, looks up and throttles by: NFKC, then
    case-folded. Look-alike spellings (`ſ` for `s`, full-width letters) meet in one key; an
    address still not ASCII after that is not one PosPro accepts (`is_valid_email_key`)."""
    return unicodedata.normalize("NFKC", email or "").strip().casefold()


def is_valid_email_key(email: str) -> bool:
    return email.isascii()


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    MANAGER = "manager", "Manager"
    CASHIER = "cashier", "Cashier"


class Branch(models.Model):
    """A store. Managers and cashiers belong to exactly one; stock and sales are per branch."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    code = models.CharField(
        max_length=32, unique=True, help_text='Short unique code, e.g. "IST-01".'
    )
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "branches"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Moves the users' cache version too (accounts.cache): an `update()` or `bulk_update()`
        sends no post_save, and a request's user is served from the cache."""
        invalidate_users_on_commit()
        return super().update(**kwargs)


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(email=normalize_email(username))

    def _create(self, email: str, password: str | None, **fields):
        if not email:
            raise ValueError("email is required")
        email = normalize_email(email)
        if not is_valid_email_key(email):
            raise ValueError("email must be ASCII")
        user = self.model(email=email, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields):
        fields.setdefault("role", Role.CASHIER)
        fields.setdefault("is_staff", fields["role"] in (Role.ADMIN, Role.MANAGER))
        fields.setdefault("is_superuser", fields["role"] == Role.ADMIN)
        user = self._create(email, password, **fields)
        if user.role == Role.MANAGER:
            user.groups.add(*Group.objects.filter(name=MANAGERS_GROUP))
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields):
        """`manage.py createsuperuser` makes an admin (role admin, no branch needed)."""
        fields["role"] = Role.ADMIN
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Logs in by email (case-insensitive). Role and branch decide what the user may see and do."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(max_length=254, unique=True)
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CASHIER)
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="May log into the back-office (admins and managers)."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(role="admin") | models.Q(branch__isnull=False),
                name="accounts_user_branch_required_unless_admin",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.role == Role.MANAGER

    @property
    def is_cashier(self) -> bool:
        return self.role == Role.CASHIER

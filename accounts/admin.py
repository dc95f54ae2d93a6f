"""Back-office for users and branches, and the scoping every back-office page shares.

The admin scopes like the API (accounts.scoping): `BranchScopedAdmin` restricts a ModelAdmin's
rows to the user's branch, so a list never shows another branch's rows and opening one answers
404, exactly like the API's detail views. `ScopedRelatedFilter` offers only the branches and
users in scope. Times are shown in POSPRO_TIME_ZONE (backoffice.middleware activates it).
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import Http404
from django.utils import timezone

from accounts import services
from accounts.models import Branch, User
from accounts.scoping import branches_for, for_user


def local_time(value) -> str:
    """A timestamp as a person at the business reads it: 2026-01-05 00:30 (24 h, local zone)."""
    return "" if value is None else f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


class BranchScopedAdmin(admin.ModelAdmin):
    """Rows of the user's branch only (all for admins), through accounts.scoping.for_user.

    `scope_field` is the path to the row's branch ("branch", "order__branch"). A row outside the
    scope, or one that does not exist, answers 404 on every object page (change, history,
    delete), like the API; Django's default would redirect with "perhaps it was deleted?".
    """

    scope_field = "branch"

    def get_queryset(self, request):
        return for_user(super().get_queryset(request), request.user, field=self.scope_field)

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with this id.")
        return obj


class ScopedRelatedFilter(admin.RelatedFieldListFilter):
    """A filter on a branch or a user that offers only those in the user's scope: a manager gets
    their own branch's cashiers, and no branch filter at all (one choice is not a filter)."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        if related is Branch:
            scoped = branches_for(request.user)
        else:
            scoped = for_user(related._default_manager.all(), request.user)
        return field.get_choices(
            include_blank=False,
            limit_choices_to={"pk__in": scoped.values("pk")},
            ordering=self.field_admin_ordering(field, request, model_admin),
        )


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    """Not scoped: every role reads every branch through the API too (GET /branches)."""

    list_display = ["code", "name", "phone", "is_active", "created"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]

    @admin.display(description="created at", ordering="created_at")
    def created(self, obj) -> str:
        return local_time(obj.created_at)


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "role", "branch"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(BranchScopedAdmin, DjangoUserAdmin):
    """Users of the caller's branch (all for admins), as the API's user pages."""

    add_form = UserCreateForm
    form = UserEditForm
    ordering = ["email"]
    list_display = ["email", "name", "role", "branch", "is_active"]
    list_filter = ["role", ("branch", ScopedRelatedFilter), "is_active"]
    search_fields = ["email", "name"]
    list_select_related = ["branch"]
    readonly_fields = ["created_at", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        ("Profile", {"fields": ["name", "role", "branch"]}),
        ("Access", {"fields": ["is_active", "is_staff", "is_superuser", "groups"]}),
        ("Dates", {"fields": ["last_login", "created_at"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": [
                    "email",
                    "name",
                    "role",
                    "branch",
                    "usable_password",
                    "password1",
                    "password2",
                ],
            },
        )
    ]

    def save_model(self, request, obj, form, change):
        deactivated = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if deactivated:
            services.user_revoke_refresh_tokens(user=obj)

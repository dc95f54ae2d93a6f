from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from accounts import services
from accounts.models import Branch, User


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "phone", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


class UserCreateForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "name", "role", "branch"]


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = UserCreateForm
    form = UserEditForm
    ordering = ["email"]
    list_display = ["email", "name", "role", "branch", "is_active"]
    list_filter = ["role", "branch", "is_active"]
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

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts import schema  # noqa: F401  (registers the OpenAPI extension)
        from accounts.cache import user_saved_or_deleted

        user = self.get_model("User")
        post_save.connect(user_saved_or_deleted, sender=user, dispatch_uid="accounts-user-saved")
        post_delete.connect(user_saved_or_deleted, sender=user, dispatch_uid="accounts-user-del")

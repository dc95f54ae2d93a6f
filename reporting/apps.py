from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save


def _labels_changed(sender, update_fields=None, **kwargs):
    """Reports show product, category, branch and user names: a save may rename one."""
    if update_fields and set(update_fields) <= {"last_login", "password", "updated_at"}:
        return
    from reporting.cache import labels_changed_on_commit

    labels_changed_on_commit()


class ReportingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "reporting"

    def ready(self):
        from reporting.backoffice import managers_group_sync

        for model in ("catalog.Product", "catalog.Category", "accounts.Branch", "accounts.User"):
            post_save.connect(
                _labels_changed, sender=model, dispatch_uid=f"reporting-labels-{model}"
            )
        # reporting has no models, so it gets no post_migrate of its own: sync after sales, the
        # last app whose permissions the group holds (they exist by then).
        post_migrate.connect(
            managers_group_sync,
            sender=self.apps.get_app_config("sales"),
            dispatch_uid="reporting-managers",
        )

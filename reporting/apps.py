from django.apps import AppConfig
from django.db.models.signals import post_save


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
        labelled = ("catalog.Product", "catalog.Category", "accounts.Branch", "accounts.User")
        for model in (*labelled, "sales.Register"):
            post_save.connect(
                _labels_changed, sender=model, dispatch_uid=f"reporting-labels-{model}"
            )

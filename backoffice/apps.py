from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BackofficeConfig(AppConfig):
    """The back office around the API: the Managers group of the Django admin, and the demo
    shop (`manage.py seed_demo`) to try it on."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "backoffice"

    def ready(self):
        from backoffice.services import managers_group_sync

        # This app has no models, so it gets no post_migrate of its own: sync after sales, the
        # last app whose permissions the group holds (they exist by then).
        post_migrate.connect(
            managers_group_sync,
            sender=self.apps.get_app_config("sales"),
            dispatch_uid="backoffice-managers",
        )

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"

    def ready(self) -> None:
        from catalog.metrics import low_stock_gauge
        from pospro.metrics import register_gauge

        register_gauge(low_stock_gauge)

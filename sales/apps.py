from django.apps import AppConfig


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sales"

    def ready(self) -> None:
        from pospro.metrics import register_gauge
        from sales.metrics import cash_over_short_gauge, cash_sessions_open_gauge

        register_gauge(cash_over_short_gauge)
        register_gauge(cash_sessions_open_gauge)

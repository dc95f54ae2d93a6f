from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from accounts.api.urls import auth_urlpatterns
from pospro import views
from reporting.api.views import OrderStatsView
from reporting.dashboard import cash_dashboard, dashboard

api_v1 = [
    path("auth/", include(auth_urlpatterns)),
    path("", include("accounts.api.urls")),
    # Before the orders router: /orders/stats is served by the report selectors.
    re_path(r"^orders/stats/?$", OrderStatsView.as_view(), name="order-stats"),
    path("", include("catalog.api.urls")),
    path("", include("sales.api.urls")),
    path("reports/", include("reporting.api.urls")),
]

urlpatterns = [
    re_path(r"^health/?$", views.health, name="health"),
    re_path(r"^ready/?$", views.ready, name="ready"),
    re_path(r"^metrics/?$", views.metrics, name="metrics"),
    re_path(r"^api/v1/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script as a file (?script), so the page runs
    # under a Content-Security-Policy with no inline script; Redoc's template loads no web font.
    re_path(r"^docs/?$", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    re_path(
        r"^redoc/?$",
        SpectacularRedocView.as_view(url_name="schema", template_name="docs/redoc.html"),
        name="redoc",
    ),
    path("api/v1/", include(api_v1)),
    path("admin/dashboard/", dashboard, name="admin-dashboard"),
    path("admin/dashboard/cash/", cash_dashboard, name="admin-dashboard-cash"),
    path("admin/", admin.site.urls),
]

admin.site.site_header = "PosPro back-office"
admin.site.site_title = "PosPro back-office"
admin.site.index_title = "Back-office"

handler400 = "pospro.views.bad_request"
# HTML in the admin's style under /admin/, problem+json everywhere else.
handler403 = "backoffice.views.permission_denied"
handler404 = "backoffice.views.not_found"
handler500 = "pospro.views.server_error"

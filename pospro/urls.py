from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts.api.urls import auth_urlpatterns
from pospro import views
from reporting.api.views import OrderStatsView
from reporting.dashboard import dashboard

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
    re_path(r"^docs/?$", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    re_path(r"^redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(api_v1)),
    path("admin/dashboard/", dashboard, name="admin-dashboard"),
    path("admin/", admin.site.urls),
]

handler400 = "pospro.views.bad_request"
handler403 = "pospro.views.permission_denied"
handler404 = "pospro.views.not_found"
handler500 = "pospro.views.server_error"

from django.urls import re_path

from accounts.api import views
from pospro.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("branches", views.BranchViewSet, basename="branch")

auth_urlpatterns = [
    re_path(r"^register/?$", views.RegisterView.as_view(), name="auth-register"),
    re_path(r"^login/?$", views.LoginView.as_view(), name="auth-login"),
    re_path(r"^refresh/?$", views.RefreshView.as_view(), name="auth-refresh"),
    re_path(r"^logout/?$", views.LogoutView.as_view(), name="auth-logout"),
    re_path(r"^me/?$", views.MeView.as_view(), name="auth-me"),
    re_path(r"^password/?$", views.PasswordView.as_view(), name="auth-password"),
]

urlpatterns = router.urls

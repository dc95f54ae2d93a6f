from django.urls import re_path

from catalog.api import views
from pospro.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("categories", views.CategoryViewSet, basename="category")

urlpatterns = [
    re_path(r"^stock/transfers/?$", views.StockTransferView.as_view(), name="stock-transfer"),
    *router.urls,
]

from django.urls import re_path

from catalog.api import views
from pospro.api.lean import lean_get
from pospro.api.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("products", views.ProductViewSet, basename="product")
router.register("categories", views.CategoryViewSet, basename="category")

# The product list, the scan lookup and the product detail: a plain GET takes the lean request cycle
# (pospro.api.lean), anything else the router's DRF view; the schema documents the DRF views.
_drf_detail = views.ProductViewSet.as_view(
    {"get": "retrieve", "put": "update", "patch": "partial_update", "delete": "destroy"},
    basename="product",
    detail=True,
)
_drf_list = views.ProductViewSet.as_view(
    {"get": "list", "post": "create"}, basename="product", detail=False
)
_drf_barcode = views.ProductViewSet.as_view({"get": "barcode"}, basename="product", detail=False)


@lean_get(_drf_detail)
def product_detail(request, user, pk):
    return views.detail_bytes(user, pk, request.GET)


@lean_get(_drf_list)
def product_list(request, user):
    return views.list_bytes(user, request.GET)


@lean_get(_drf_barcode)
def product_barcode(request, user, barcode):
    return views.barcode_bytes(user, barcode, request.GET)


# Mounted first, at the root, by pospro.urls (the most frequent requests resolve soonest).
hot_urlpatterns = [
    re_path(r"^api/v1/products/?$", product_list, name="product-browse"),
    re_path(
        r"^api/v1/products/barcode/(?P<barcode>[^/]+)/?$", product_barcode, name="product-scan"
    ),
    re_path(
        rf"^api/v1/products/(?P<pk>{views.UUID_REGEX})/?$", product_detail, name="product-read"
    ),
]

urlpatterns = [
    re_path(r"^stock/transfers/?$", views.StockTransferView.as_view(), name="stock-transfer"),
    *router.urls,
]

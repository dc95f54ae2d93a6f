from pospro.api.routers import OptionalSlashRouter
from sales.api import views

router = OptionalSlashRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("customers", views.CustomerViewSet, basename="customer")

urlpatterns = router.urls

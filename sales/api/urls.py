from pospro.api.routers import OptionalSlashRouter
from sales.api import cash_views, views

router = OptionalSlashRouter()
router.register("orders", views.OrderViewSet, basename="order")
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("registers", cash_views.RegisterViewSet, basename="register")
router.register("cash-sessions", cash_views.CashSessionViewSet, basename="cash-session")

urlpatterns = router.urls

from rest_framework.routers import SimpleRouter


class OptionalSlashRouter(SimpleRouter):
    """Both `/products` and `/products/` resolve, with no redirect (POST bodies survive)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"

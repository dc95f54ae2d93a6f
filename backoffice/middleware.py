"""The back-office's middleware: times in the business's zone, and the Content-Security-Policy."""

from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

from pospro.clock import business_tz


class BusinessTimeZoneMiddleware:
    """Render the admin and the dashboard in POSPRO_TIME_ZONE: an order sold at 21:30 UTC in
    Istanbul reads 00:30, on the business day the reports count it in. The API keeps UTC."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.zone = business_tz()

    @cached_property
    def prefix(self) -> str:
        return reverse("admin:index")  # "/admin/", looked up once (the API's path pays nothing)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(self.prefix):
            return self.get_response(request)
        with timezone.override(self.zone):
            return self.get_response(request)


class HtmlContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware (settings.CONTENT_SECURITY_POLICY) on HTML answers only: the
    admin, the dashboard, /docs and /redoc. A policy governs documents; the API's JSON answers
    skip the 31 us django-csp spends building the header on every response."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)

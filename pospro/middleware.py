"""Request id, request log, no-store on API answers, body size limit, and problem+json for
errors raised outside DRF."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from pospro.api.problems import problem_response
from pospro.logging import request_id_var

logger = logging.getLogger("pospro.request")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


class RequestIdMiddleware:
    """Echo a safe `X-Request-ID` or make one; tag every log line; log one line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            logger.info(
                "request",
                extra={
                    "user_id": str(user.pk) if getattr(user, "pk", None) else None,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class ApiNoStoreMiddleware:
    """`Cache-Control: no-store` on every /api/v1/ answer that sets no Cache-Control itself.

    API answers carry tokens (auth) or personal and business data (customers, orders, reports):
    no browser or shared cache may keep them. One rule for the whole API, errors included, so a
    new endpoint cannot forget it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/") and not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True)
        return response


class BodySizeLimitMiddleware:
    """Refuse a declared body over DATA_UPLOAD_MAX_MEMORY_SIZE before anything reads it (413).

    DRF's parsers read the raw stream, which Django's own size check on `request.body` never sees.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(400, "bad_request", "Invalid Content-Length header.")
        if limit is not None and length > limit:
            return problem_response(
                413, "payload_too_large", f"The request body exceeds {limit} bytes."
            )
        return self.get_response(request)


_ERROR_CODES = {
    400: "bad_request",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    500: "server_error",
}


class ProblemDetailsMiddleware:
    """Turn any error answer Django made itself (URL 404, 405, 500 page) into problem+json.

    DRF views already answer problem+json through the exception handler; the admin keeps its HTML.
    In DEBUG, Django's technical 404/500 pages are replaced too, so no trace ever leaks.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(
            "application/problem+json"
        ):
            return response
        if request.path.startswith("/admin/") and response.status_code != 500:
            return response
        status = response.status_code
        code = _ERROR_CODES.get(status, "error")
        detail = {
            404: "Not found.",
            405: f'Method "{request.method}" not allowed.',
            500: "Internal server error.",
        }.get(status, "The request could not be processed.")
        new = problem_response(status, code, detail)
        if status == 405 and response.has_header("Allow"):
            new["Allow"] = response["Allow"]
        return new

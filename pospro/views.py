"""Operations endpoints: liveness, readiness, metrics; and the problem+json 404/500 handlers."""

import hmac
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView

from pospro.api.problems import problem_response
from pospro.metrics import render_gauges

logger = logging.getLogger("pospro.ops")


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """Liveness: the process answers. No database, no cache."""
    return JsonResponse({"status": "ok"})


def _database_ok() -> bool:
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        return False


def _cache_ok() -> bool:
    key = f"ready:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=5)
        ok = cache.get(key) == "1"
        cache.delete(key)
    except Exception:
        logger.warning("readiness: cache unreachable", exc_info=True)
        return False
    return ok


@require_GET
def ready(request: HttpRequest) -> HttpResponse:
    """Readiness: 200 when the database and the cache answer, else 503 naming what is down."""
    database = "ok" if _database_ok() else "down"
    cache_state = "ok" if _cache_ok() else "down"
    healthy = database == "ok" and cache_state == "ok"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "cache": cache_state,
    }
    if healthy:
        return JsonResponse(body)
    down = ", ".join(name for name in ("database", "cache") if body[name] == "down")
    # The readiness fields ride along with the problem fields so probes can read either.
    return problem_response(
        503,
        "service_unavailable",
        f"Not ready: {down} down.",
        extra={"database": database, "cache": cache_state},
    )


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text; protected by POSPRO_METRICS_TOKEN when it is set. Without a token it is
    open only where POSPRO_METRICS_PUBLIC says so (by default: in development)."""
    token = settings.POSPRO_METRICS_TOKEN
    if token:
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            response = problem_response(401, "not_authenticated", "Metrics token required.")
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not settings.POSPRO_METRICS_PUBLIC:
        return problem_response(
            403,
            "permission_denied",
            "Metrics are closed: set POSPRO_METRICS_TOKEN, or POSPRO_METRICS_PUBLIC=true on a "
            "private network.",
        )
    response = ExportToDjangoView(request)
    response.content = response.content + render_gauges().encode()
    return response


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_response(404, "not_found", "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    return problem_response(500, "server_error", "Internal server error.")


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_response(400, "bad_request", "Bad request.")


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    return problem_response(403, "permission_denied", "Permission denied.")

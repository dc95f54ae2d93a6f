"""A lean request cycle for the till's hottest reads (barcode scan, product detail).

DRF's dispatch (its Request wrapper, content negotiation, permission and throttle objects,
response finalisation) costs more CPU than a cached product answer itself. A lean view runs the
same checks, from the same code, directly on Django's request:

- the same JWT authentication (`accounts.auth.JWTAuthentication`: the token, the user snapshot
  and the throttle count in one Redis round trip);
- the same per-user throttle (`pospro.api.throttling.UserRateThrottle`);
- errors as the same problem+json (`problem_exception_handler`).

Only a plain `GET` takes the lean path; every other request (writes, HEAD, OPTIONS, `?format=`,
an `Accept` that excludes JSON) goes to the DRF view, which stays the documented one in the
OpenAPI schema.
"""

import functools

import orjson
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions

from accounts.auth import JWTAuthentication
from pospro.api.exceptions import problem_exception_handler
from pospro.api.throttling import UserRateThrottle
from pospro.exceptions import DomainError

_authentication = JWTAuthentication()


def _takes_lean_path(request) -> bool:
    if request.method != "GET" or "format" in request.GET:
        return False
    accept = request.META.get("HTTP_ACCEPT", "")
    return not accept or "json" in accept or "*/*" in accept


def _problem_response(exc) -> HttpResponse:
    answer = problem_exception_handler(exc, {})
    response = HttpResponse(
        orjson.dumps(answer.data), status=answer.status_code, content_type=answer.content_type
    )
    for name, value in answer.items():  # WWW-Authenticate, Retry-After
        if name.lower() != "content-type":
            response[name] = value
    return response


def _authenticate(request):
    try:
        found = _authentication.authenticate(request)
    except exceptions.AuthenticationFailed as exc:
        exc.auth_header = _authentication.authenticate_header(request)
        raise
    if found is None:
        exc = exceptions.NotAuthenticated()
        exc.auth_header = _authentication.authenticate_header(request)
        raise exc
    return found[0]


def lean_get(drf_view):
    """Serve GET with the decorated function `(request, user, **kwargs) -> bytes`; anything
    else with `drf_view`."""

    def decorator(build):
        @csrf_exempt
        @functools.wraps(build)
        def view(request, *args, **kwargs):
            if not _takes_lean_path(request):
                return drf_view(request, *args, **kwargs)
            try:
                user = _authenticate(request)
                throttle = UserRateThrottle()
                request.user = user
                if not throttle.allow_request(request, None):
                    raise exceptions.Throttled(throttle.wait())
                body = build(request, user, *args, **kwargs)
            except (exceptions.APIException, DomainError) as exc:
                return _problem_response(exc)
            response = HttpResponse(body, content_type="application/json")
            response["Vary"] = "Accept, Authorization"
            return response

        return view

    return decorator

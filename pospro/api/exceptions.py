"""DRF exception handler: every error becomes RFC 9457 problem+json, never a trace or SQL."""

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, OperationalError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from psycopg.errors import NumericValueOutOfRange, QueryCanceled
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings

from pospro.api.problems import PROBLEM_CONTENT_TYPE, problem_body
from pospro.exceptions import DomainError

logger = logging.getLogger("pospro.api")

_CODES = {
    exceptions.ValidationError: ("validation_error", "Validation error"),
    exceptions.ParseError: ("parse_error", "Malformed request body"),
    exceptions.NotAuthenticated: ("not_authenticated", "Authentication required"),
    exceptions.AuthenticationFailed: ("authentication_failed", "Authentication failed"),
    exceptions.PermissionDenied: ("permission_denied", "Permission denied"),
    exceptions.NotFound: ("not_found", "Not found"),
    exceptions.MethodNotAllowed: ("method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ("not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ("unsupported_media_type", "Unsupported media type"),
    exceptions.Throttled: ("throttled", "Too many requests"),
}


def flatten_errors(detail, path: str = "") -> list[dict]:
    """Turn DRF's nested error detail into a flat list with `items[0].quantity` style paths."""
    out: list[dict] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key == api_settings.NON_FIELD_ERRORS_KEY:
                child = path
            elif isinstance(key, int):  # list serializers report {index: errors}
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            out.extend(flatten_errors(value, child))
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            for item in detail:
                out.append(
                    {
                        "field": path or None,
                        "code": getattr(item, "code", None) or "invalid",
                        "message": str(item),
                    }
                )
        else:
            for index, item in enumerate(detail):
                if item:
                    out.extend(flatten_errors(item, f"{path}[{index}]"))
    else:
        out.append(
            {
                "field": path or None,
                "code": getattr(detail, "code", None) or "invalid",
                "message": str(detail),
            }
        )
    return out


def _problem(status: int, code: str, detail: str, *, title=None, errors=None, headers=None):
    return Response(
        problem_body(status, code, detail, title=title, errors=errors),
        status=status,
        headers=headers,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def problem_exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return _problem(exc.status_code, exc.code, exc.detail, title=exc.title, errors=exc.errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        )
    elif isinstance(exc, DataError) and isinstance(exc.__cause__, NumericValueOutOfRange):
        # A backstop: serializers and services bound what they write to the columns' ranges,
        # so reaching this is a missed check, logged as such, but still the client's number.
        logger.warning("number out of a column's range", exc_info=exc)
        return _problem(
            400, "validation_error", "A number is outside the range of the column it is stored in."
        )
    elif isinstance(exc, ProtectedError | RestrictedError):
        return _problem(
            409,
            "conflict",
            "The object is still referenced by other records and cannot be deleted.",
        )
    elif isinstance(exc, OperationalError) and isinstance(exc.__cause__, QueryCanceled):
        # POSPRO_DB_STATEMENT_TIMEOUT_MS cancelled a query: the server is busy, not broken.
        logger.warning("query cancelled: statement timeout", exc_info=exc)
        return _problem(
            503,
            "statement_timeout",
            "The request took longer than the database allows and was cancelled; try again "
            "later, or ask for less (a shorter period).",
            title="Request took too long",
        )

    if not isinstance(exc, exceptions.APIException):
        logger.exception("unhandled API exception", exc_info=exc)
        return _problem(500, "server_error", "Internal server error.")

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait) + (1 if exc.wait % 1 else 0))

    code, title = "error", None
    for klass in type(exc).__mro__:
        if klass in _CODES:
            code, title = _CODES[klass]
            break
    if isinstance(exc, exceptions.AuthenticationFailed | exceptions.NotAuthenticated):
        # simplejwt's InvalidToken keeps its own code: token_not_valid.
        codes = exc.get_codes()
        if isinstance(codes, str) and codes == "token_not_valid":
            code = codes
        elif isinstance(codes, dict) and codes.get("code") == "token_not_valid":
            code = "token_not_valid"

    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail)
        detail = errors[0]["message"] if len(errors) == 1 else f"{len(errors)} fields are invalid."
        if errors and errors[0]["field"] and len(errors) == 1:
            detail = f"{errors[0]['field']}: {errors[0]['message']}"
        return _problem(exc.status_code, code, detail, title=title, errors=errors, headers=headers)

    if isinstance(exc.detail, dict):
        detail = str(exc.detail.get("detail") or next(iter(exc.detail.values()), ""))
    elif isinstance(exc.detail, list):
        detail = " ".join(str(item) for item in exc.detail)
    else:
        detail = str(exc.detail)
    return _problem(exc.status_code, code, detail, title=title, headers=headers)

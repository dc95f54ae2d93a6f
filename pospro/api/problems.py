"""RFC 9457 problem details: the one shape every error answer has."""

import json
from http import HTTPStatus

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"


def status_title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_body(
    status: int,
    code: str,
    detail: str,
    *,
    title: str | None = None,
    errors: list | None = None,
    extra: dict | None = None,
) -> dict:
    body = {
        "type": "about:blank",
        "status": status,
        "title": title or status_title(status),
        "code": code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update({k: v for k, v in extra.items() if k not in body})
    return body


def problem_response(status: int, code: str, detail: str, **kwargs) -> HttpResponse:
    """A plain Django response for errors made outside DRF (middleware, handlers)."""
    return HttpResponse(
        json.dumps(problem_body(status, code, detail, **kwargs)),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )

"""Domain errors: raised by services, turned into problem+json by the one exception handler."""


class DomainError(Exception):
    """A business rule refused the request. `code` is the machine-readable problem code."""

    status_code = 400
    code = "domain_error"
    title = "Request refused"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        if code:
            self.code = code


def field_error(field: str | None, code: str, message: str) -> dict:
    """One entry of a problem's `errors` list."""
    return {"field": field, "code": code, "message": message}


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_error"
    title = "Validation error"

    @classmethod
    def of(cls, errors: list[dict]) -> "ValidationFailed":
        """A 400 naming every problem; the detail quotes the first."""
        first = errors[0]
        detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
        if len(errors) > 1:
            detail = f"{len(errors)} problems: {detail} ..."
        return cls(detail, errors=errors)

    @classmethod
    def field(cls, field: str | None, code: str, message: str) -> "ValidationFailed":
        return cls.of([field_error(field, code, message)])


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class Forbidden(DomainError):
    status_code = 403
    code = "permission_denied"
    title = "Permission denied"

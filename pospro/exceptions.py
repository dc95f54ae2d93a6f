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


class ValidationFailed(DomainError):
    status_code = 400
    code = "validation_error"
    title = "Validation error"


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

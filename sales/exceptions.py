from pospro.exceptions import Conflict, DomainError


class IdempotencyInProgress(Conflict):
    code = "idempotency_in_progress"
    title = "Request in progress"


class IdempotencyKeyMismatch(DomainError):
    status_code = 422
    code = "idempotency_key_mismatch"
    title = "Idempotency key reused with another request"


class CreditLimitExceeded(Conflict):
    code = "credit_limit_exceeded"
    title = "Credit limit exceeded"


class ExceedsBalance(DomainError):
    status_code = 400
    code = "exceeds_balance"
    title = "Payment exceeds the balance"


class SessionAlreadyOpen(Conflict):
    code = "session_already_open"
    title = "A session is already open"


class SessionClosed(Conflict):
    code = "session_closed"
    title = "The session is closed"


class NoOpenSession(Conflict):
    code = "no_open_session"
    title = "No open cash session"


class InsufficientCash(Conflict):
    code = "insufficient_cash"
    title = "Not enough cash in the drawer"


class RegisterInactive(Conflict):
    code = "register_inactive"
    title = "The register is inactive"


class RegisterRequired(DomainError):
    status_code = 400
    code = "register_required"
    title = "A register is required"


class SessionOpen(Conflict):
    code = "session_open"
    title = "The session is still open"

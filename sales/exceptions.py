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

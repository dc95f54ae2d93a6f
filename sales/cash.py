"""Registers and cash sessions: opening a drawer, paid-in and paid-out, the X and Z reports.

A register is one till's cash drawer. A cash session runs from the opening float to the count
at close; the close stores the Z report (JSON text, so every later read is the close's answer
byte for byte) and takes the register's next gap-free `z_number`.

Locks, in one fixed order everywhere: stock rows -> customer row -> cash session row -> the
day's order sequence. Sales, refunds, cancellations and account payments that name a register
lock its open session with `FOR NO KEY UPDATE` once they have taken their stock and customer
rows; a close and a paid-in/paid-out lock it with `FOR UPDATE`. The two conflict, so a record
can never land in a session that a concurrent close has closed (the close waits for it and
counts it, or the record sees the session closed and answers 409 `no_open_session`), and a
paid-out checks the cash in the drawer against figures no one else is changing.

Each action is one service function, so its audit event can be added in one place.
"""

import json
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from rest_framework import serializers
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import Role, User
from accounts.scoping import branch_for_write, for_user, parse_uuid
from pospro.clock import local
from pospro.exceptions import Conflict, Forbidden, NotFound, ValidationFailed
from pospro.limits import MAX_AMOUNT
from pospro.money import ZERO
from sales import events
from sales.exceptions import (
    InsufficientCash,
    NoOpenSession,
    RegisterInactive,
    RegisterRequired,
    SessionAlreadyOpen,
    SessionClosed,
)
from sales.models import (
    AccountPaymentMethod,
    CashMovement,
    CashMovementType,
    CashSession,
    CashSessionStatus,
    CustomerPayment,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Refund,
    Register,
)

REGISTER_FIELDS = ("code", "name", "is_active")


def _money_sum(field: str, filter: Q | None = None) -> Coalesce:
    return Coalesce(Sum(field, filter=filter), ZERO)


def _may_manage(actor: User) -> bool:
    return actor.role in (Role.ADMIN, Role.MANAGER)


# --- Registers --------------------------------------------------------------------------------


def _clean_code(code) -> str:
    code = (code or "").strip()
    if not code:
        raise ValidationFailed.field("code", "blank", "This field may not be blank.")
    if len(code) > 20:
        raise ValidationFailed.field("code", "max_length", "At most 20 characters.")
    return code


def _duplicate_code(code: str) -> ValidationFailed:
    return ValidationFailed.field(
        "code", "unique", f"This branch already has a register with code {code!r}."
    )


@transaction.atomic
def register_create(
    *, actor: User, code: str, name: str = "", branch_id=None, is_active: bool = True
) -> Register:
    """A new register in the caller's branch (managers) or any branch (admins). Codes are
    unique per branch (400 `validation_error`, code `unique` on `code`)."""
    if not _may_manage(actor):
        raise Forbidden("Only managers and admins may change registers.")
    branch = branch_for_write(actor, branch_id)
    code = _clean_code(code)
    if Register.objects.filter(branch=branch, code=code).exists():
        raise _duplicate_code(code)
    try:
        with transaction.atomic():
            return Register.objects.create(
                branch=branch, code=code, name=name or "", is_active=is_active
            )
    except IntegrityError as exc:  # raced with another create of the same code
        raise _duplicate_code(code) from exc


@transaction.atomic
def register_update(*, actor: User, register: Register, **fields) -> Register:
    """Change a register's code, name or active flag (its branch never changes: its sessions
    and their reports belong to that branch). A register with an open session cannot be
    deactivated (409 `conflict`): close the session first, so no drawer is left uncounted."""
    if not _may_manage(actor):
        raise Forbidden("Only managers and admins may change registers.")
    if actor.role != Role.ADMIN and register.branch_id != actor.branch_id:
        raise NotFound("Register not found.")
    register = Register.objects.select_for_update().get(pk=register.pk)
    data = {key: value for key, value in fields.items() if key in REGISTER_FIELDS}
    if "code" in data:
        data["code"] = _clean_code(data["code"])
        duplicate = Register.objects.filter(branch_id=register.branch_id, code=data["code"])
        if duplicate.exclude(pk=register.pk).exists():
            raise _duplicate_code(data["code"])
    deactivating = data.get("is_active") is False and register.is_active
    if deactivating and register.sessions.filter(status=CashSessionStatus.OPEN).exists():
        raise Conflict("The register has an open cash session; close it first.")
    if "name" in data:
        data["name"] = data["name"] or ""
    for key, value in data.items():
        setattr(register, key, value)
    try:
        with transaction.atomic():
            register.save(update_fields=[*data, "updated_at"])
    except IntegrityError as exc:
        raise _duplicate_code(data.get("code", register.code)) from exc
    return register


# --- Registers on sales, refunds, cancellations and account payments --------------------------


def require_register(moves_cash: bool, register_id) -> None:
    """With POSPRO_REQUIRE_CASH_SESSION, whatever moves cash must name its register (400
    `register_required`). Costs no query."""
    if moves_cash and register_id in (None, "") and settings.POSPRO_REQUIRE_CASH_SESSION:
        raise RegisterRequired(
            "This moves cash: name the register (register_id) whose drawer it goes through.",
            errors=[
                {
                    "field": "register_id",
                    "code": "register_required",
                    "message": "Required when cash changes hands (POSPRO_REQUIRE_CASH_SESSION).",
                }
            ],
        )


def resolve_register(register_id, *, branch_id=None, actor: User | None = None) -> Register:
    """The register a record names: it must exist, be active and belong to the record's
    branch (`branch_id`), or to the actor's scope when the record has no branch (account
    payments); else 400 `validation_error` (code `does_not_exist` on `register_id`)."""
    queryset = Register.objects.filter(pk=parse_uuid(register_id, field="register_id"))
    if branch_id is not None:
        queryset = queryset.filter(branch_id=branch_id)
    if actor is not None:
        queryset = for_user(queryset, actor)
    register = queryset.filter(is_active=True).first()
    if register is None:
        raise ValidationFailed.field(
            "register_id", "does_not_exist", "No active register of this branch."
        )
    return register


def lock_open_session(register: Register) -> CashSession:
    """The register's open session, locked `FOR NO KEY UPDATE` to commit: a close (which locks
    it `FOR UPDATE`) waits for the record, or the record waits for the close and then finds no
    open session (409 `no_open_session`). Take it after the stock and customer rows."""
    session = (
        CashSession.objects.select_for_update(no_key=True)
        .filter(register_id=register.pk, status=CashSessionStatus.OPEN)
        .first()
    )
    if session is None:
        raise NoOpenSession(
            f"Register {register.code} has no open cash session; open one first.",
            errors=[
                {
                    "field": "register_id",
                    "code": "no_open_session",
                    "message": "The register has no open cash session.",
                }
            ],
        )
    return session


# --- Sessions ---------------------------------------------------------------------------------


def _scoped_sessions(actor: User):
    return for_user(CashSession.objects.all(), actor)


def _lock_session(actor: User, session_id) -> CashSession:
    """The session, in the actor's scope (else 404), locked `FOR UPDATE` to commit."""
    session = (
        _scoped_sessions(actor)
        .select_for_update(of=("self",))
        .filter(pk=parse_uuid(session_id, field="session_id"))
        .first()
    )
    if session is None:
        raise NotFound("Cash session not found.")
    return session


def _check_operator(actor: User, session: CashSession) -> None:
    """Movements and the close: the session's opener, a manager of its branch, an admin."""
    if actor.role == Role.ADMIN:
        return
    if actor.role == Role.MANAGER and actor.branch_id == session.branch_id:
        return
    if actor.pk == session.opened_by_id:
        return
    raise Forbidden("Only the cashier who opened the session, a manager or an admin may do this.")


def _check_amount(field: str, amount: Decimal, *, positive: bool) -> None:
    if amount is None or (amount <= ZERO if positive else amount < ZERO):
        raise ValidationFailed.field(
            field,
            "min_value",
            "Must be greater than 0." if positive else "Must be 0 or more.",
        )
    if amount > MAX_AMOUNT:
        raise ValidationFailed.field(field, "max_value", f"At most {MAX_AMOUNT}.")


@transaction.atomic
def cash_session_open(
    *, actor: User, register_id, opening_float: Decimal, at: datetime | None = None
) -> CashSession:
    """Open the register's drawer with `opening_float` (>= 0). Any role of the register's
    branch (admins any branch). A register outside the caller's scope, or an unknown one: 400
    `does_not_exist` on `register_id`; an inactive one: 409 `register_inactive`; one with an
    open session: 409 `session_already_open` (a partial unique index settles two opens at
    once). `at` is the opening moment, for the demo seeder's history; default now."""
    _check_amount("opening_float", opening_float, positive=False)
    # Locked against a concurrent deactivation (register_update locks it too).
    register = (
        for_user(Register.objects.all(), actor)
        .select_for_update(no_key=True)
        .filter(pk=parse_uuid(register_id, field="register_id"))
        .first()
    )
    if register is None:
        raise ValidationFailed.field("register_id", "does_not_exist", "Unknown register.")
    if not register.is_active:
        raise RegisterInactive(f"Register {register.code} is inactive.")
    if CashSession.objects.filter(register=register, status=CashSessionStatus.OPEN).exists():
        raise SessionAlreadyOpen(f"Register {register.code} already has an open cash session.")
    moment = at or timezone.now()
    try:
        with transaction.atomic():
            return CashSession.objects.create(
                register=register,
                branch_id=register.branch_id,
                status=CashSessionStatus.OPEN,
                opened_by=actor,
                opened_at=moment,
                business_date=local(moment).date(),
                opening_float=opening_float,
            )
    except IntegrityError as exc:  # a concurrent open of the same register won
        raise SessionAlreadyOpen(
            f"Register {register.code} already has an open cash session."
        ) from exc


@transaction.atomic
def cash_movement_create(
    *, actor: User, session_id, type: str, amount: Decimal, reason: str
) -> CashMovement:
    """Put cash into the drawer or take it out for something other than a sale.

    The session row is locked `FOR UPDATE`, so no sale, refund or other movement of the
    session commits meanwhile: a paid-out larger than the cash expected in the drawer right
    now answers 409 `insufficient_cash`, and twenty paid-outs at once never take the drawer
    below zero. A closed session: 409 `session_closed`."""
    if type not in CashMovementType.values:
        raise ValidationFailed.field("type", "invalid_choice", "Must be paid_in or paid_out.")
    _check_amount("amount", amount, positive=True)
    if not (reason or "").strip():
        raise ValidationFailed.field("reason", "blank", "Say why the cash moves.")
    session = _lock_session(actor, session_id)
    _check_operator(actor, session)
    if session.status != CashSessionStatus.OPEN:
        raise SessionClosed("The cash session is closed.")
    if type == CashMovementType.PAID_OUT:
        available = session_report(session)["expected_cash"]
        if amount > available:
            raise InsufficientCash(
                f"Paid out {amount} exceeds the cash expected in the drawer, {available}.",
                errors=[
                    {
                        "field": "amount",
                        "code": "insufficient_cash",
                        "message": f"At most {max(available, ZERO)} can be paid out.",
                    }
                ],
            )
    return CashMovement.objects.create(
        session=session,
        type=type,
        amount=amount,
        reason=reason.strip(),
        user=actor,
        created_at=timezone.now(),
    )


# --- The report -------------------------------------------------------------------------------


def session_report(session: CashSession, *, z_number: int | None = None) -> dict:
    """The X report of `session` (so far) or, with the close's figures, its Z report.

    Computed from the session's records in six aggregate queries:
    - sales: the orders sold in the session (cancelled ones too: they count in the session
      they were sold in; the cancellation counts in the session it happened in);
    - refunds: the refunds given in the session; cancellations: the orders cancelled in it;
    - cash_sales: the cash kept of the session's sales (tendered minus change);
    - cash_refunds: the cash paid back in the session: cash refunds plus the cash kept of the
      orders cancelled in it (a cancellation gives the cash back);
    - tenders: per payment method, `sales` = what it paid towards the session's sales,
      `refunds` = refunds of that method plus the cancellations' amount of that method,
      `net = sales - refunds`; Σ tenders.sales == sales.total;
    - vat: per rate of the session's order lines, net (after discounts), tax, gross = net +
      tax; Σ gross == sales.total, with VAT-exclusive and VAT-inclusive prices alike;
    - account_payments_cash: cash account payments taken in the session.
    expected_cash = opening_float + cash_sales − cash_refunds + paid_in − paid_out +
    account_payments_cash; over_short = counted_cash − expected_cash (null while open).
    """
    sid = session.pk
    sold = Q(cash_session_id=sid)
    cancelled = Q(cancel_session_id=sid)
    orders = Order.objects.filter(sold | cancelled).aggregate(
        count=Count("pk", filter=sold),
        gross=_money_sum("subtotal", filter=sold),
        discounts=_money_sum("discount_amount", filter=sold),
        tax=_money_sum("tax_amount", filter=sold),
        total=_money_sum("total_amount", filter=sold),
        cancel_count=Count("pk", filter=cancelled),
        cancel_amount=_money_sum("total_amount", filter=cancelled),
    )
    paid_sold = Q(order__cash_session_id=sid)
    paid_cancelled = Q(order__cancel_session_id=sid)
    by_method: dict[str, list[Decimal]] = {}
    for row in (
        Payment.objects.filter(paid_sold | paid_cancelled)
        .values("method")
        .annotate(
            sales=_money_sum("applied_amount", filter=paid_sold),
            cancelled=_money_sum("applied_amount", filter=paid_cancelled),
        )
        .order_by()
    ):
        by_method[row["method"]] = [row["sales"], row["cancelled"]]
    refund_count, refund_amount = 0, ZERO
    refunded: dict[str, Decimal] = {}
    for row in (
        Refund.objects.filter(cash_session_id=sid)
        .values("method")
        .annotate(n=Count("pk"), amount=Sum("amount"))
        .order_by()
    ):
        refund_count += row["n"]
        refund_amount += row["amount"]
        refunded[row["method"]] = row["amount"]
    movements = CashMovement.objects.filter(session_id=sid).aggregate(
        paid_in=_money_sum("amount", filter=Q(type=CashMovementType.PAID_IN)),
        paid_out=_money_sum("amount", filter=Q(type=CashMovementType.PAID_OUT)),
    )
    account_cash = CustomerPayment.objects.filter(
        cash_session_id=sid, method=AccountPaymentMethod.CASH
    ).aggregate(amount=_money_sum("amount"))["amount"]
    vat = [
        {
            "rate": row["vat_rate"],
            "net": row["gross"] - row["tax"],
            "tax": row["tax"],
            "gross": row["gross"],
        }
        for row in OrderItem.objects.filter(order__cash_session_id=sid)
        .values("vat_rate")
        .annotate(tax=Sum("tax_amount"), gross=Sum("line_total"))
        .order_by("vat_rate")
    ]

    tenders = []
    for method in PaymentMethod.values:
        sales, cancelled_amount = by_method.get(method, (ZERO, ZERO))
        refunds = refunded.get(method, ZERO) + cancelled_amount
        if sales or refunds or method in by_method or method in refunded:
            tenders.append(
                {"method": method, "sales": sales, "refunds": refunds, "net": sales - refunds}
            )
    cash_sales = by_method.get(PaymentMethod.CASH, (ZERO, ZERO))[0]
    cash_refunds = (
        refunded.get(PaymentMethod.CASH, ZERO) + by_method.get(PaymentMethod.CASH, (ZERO, ZERO))[1]
    )
    expected = (
        session.opening_float
        + cash_sales
        - cash_refunds
        + movements["paid_in"]
        - movements["paid_out"]
        + account_cash
    )
    counted = session.counted_cash
    return {
        "session_id": session.pk,
        "register_id": session.register_id,
        "z_number": z_number,
        "opened_at": session.opened_at,
        "closed_at": session.closed_at if counted is not None else None,
        "opening_float": session.opening_float,
        "cash_sales": cash_sales,
        "cash_refunds": cash_refunds,
        "paid_in": movements["paid_in"],
        "paid_out": movements["paid_out"],
        "account_payments_cash": account_cash,
        "expected_cash": expected,
        "counted_cash": counted,
        "over_short": counted - expected if counted is not None else None,
        "sales": {
            "count": orders["count"],
            "gross": orders["gross"],
            "discounts": orders["discounts"],
            "tax": orders["tax"],
            "total": orders["total"],
        },
        "refunds": {"count": refund_count, "amount": refund_amount},
        "cancellations": {"count": orders["cancel_count"], "amount": orders["cancel_amount"]},
        "tenders": tenders,
        "vat": vat,
    }


_DATETIME = serializers.DateTimeField()


def render_report(report: dict) -> str:
    """The report as JSON text, money as numbers and times as the API renders them: what the
    close stores and every later read answers unchanged."""
    data = dict(report)
    for key in ("opened_at", "closed_at"):
        if data[key] is not None:
            data[key] = _DATETIME.to_representation(data[key])
    return json.dumps(data, cls=JSONEncoder)


@transaction.atomic
def cash_session_close(
    *,
    actor: User,
    session_id,
    counted_cash: Decimal,
    note: str = "",
    at: datetime | None = None,
) -> dict:
    """Count the drawer and close the session; returns the Z report as stored.

    The session row is locked `FOR UPDATE`: sales, refunds and movements of the session in
    flight finish first and are counted, later ones find it closed. A second close (even one
    racing this one) sees `closed` under the lock: 409 `session_closed`. The Z number is the
    register's highest plus one, taken under the lock; a register has one open session at a
    time (partial unique index), so closes of one register never race and the numbers are
    gap-free (the unique (register, z_number) constraint is the backstop). `at` is the closing
    moment, for the demo seeder's history; default now."""
    _check_amount("counted_cash", counted_cash, positive=False)
    session = _lock_session(actor, session_id)
    _check_operator(actor, session)
    if session.status != CashSessionStatus.OPEN:
        raise SessionClosed("The cash session is already closed.")
    z_number = (
        CashSession.objects.filter(register_id=session.register_id).aggregate(n=Max("z_number"))[
            "n"
        ]
        or 0
    ) + 1
    session.status = CashSessionStatus.CLOSED
    session.closed_at = at or timezone.now()
    session.closed_by = actor
    session.counted_cash = counted_cash
    session.note = note or ""
    report = session_report(session, z_number=z_number)
    session.z_number = z_number
    session.expected_cash = report["expected_cash"]
    session.over_short = report["over_short"]
    session.z_report = render_report(report)
    session.save(
        update_fields=[
            "status", "closed_at", "closed_by", "counted_cash", "note", "z_number",
            "expected_cash", "over_short", "z_report",
        ]
    )  # fmt: skip
    # The cash report counts closed sessions on their business day, as sales count on theirs.
    events.sales_changed_on_commit(session.branch_id, session.business_date)
    return json.loads(session.z_report)

"""Selling: quote, create (idempotently), refund and cancel orders; customers.

An order is written in one transaction: its stock leaves through catalog.services (rows locked
in a fixed order), then its lines, payments and rollup rows are written, and last it takes the
next gap-free number of its business day; the idempotency record commits with it. Any failure
rolls every part back.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.utils.encoders import JSONEncoder

from accounts.models import Role, User
from accounts.scoping import branch_for_write
from catalog.models import MovementReason, Product
from catalog.services import StockChange, stock_apply
from pospro.clock import business_today, local
from pospro.exceptions import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from pospro.limits import MAX_AMOUNT
from pospro.money import ZERO, quantize
from sales import events, metrics, rollup
from sales.cash import lock_open_session, require_register, resolve_register
from sales.exceptions import (
    CreditLimitExceeded,
    ExceedsBalance,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
)
from sales.models import (
    AccountPaymentMethod,
    Customer,
    CustomerPayment,
    IdempotencyKey,
    Order,
    OrderItem,
    OrderSequence,
    OrderStatus,
    Payment,
    PaymentMethod,
    Refund,
    RefundItem,
)
from sales.pricing import LineInput, PricedOrder, amount_too_large, price_order, refund_line

IDEMPOTENCY_TTL = timedelta(hours=24)


# --- Quoting: the engine shared by calculate and create ---------------------------------------


@dataclass(frozen=True)
class ItemRequest:
    product_id: UUID
    quantity: int
    unit_price: Decimal | None = None
    discount_amount: Decimal = ZERO


@dataclass(frozen=True)
class PaymentRequest:
    method: str
    amount: Decimal
    reference: str | None = None


@dataclass
class Quote:
    branch: object
    cashier: User
    customer: Customer | None
    products: list[Product]
    priced: PricedOrder
    payments: list[PaymentRequest]
    applied: list[Decimal]
    paid: Decimal
    change_due: Decimal
    prices_include_vat: bool
    notes: str = ""


def _resolve_cashier(actor: User, cashier_id, branch) -> User:
    if cashier_id in (None, "") or str(cashier_id) == str(actor.pk):
        return actor
    if actor.role == Role.CASHIER:
        raise Forbidden("Cashiers sell as themselves: cashier_id must be your own id.")
    cashier = User.objects.filter(pk=cashier_id, is_active=True).first()
    if cashier is None or (cashier.role != Role.ADMIN and cashier.branch_id != branch.pk):
        raise ValidationFailed.field("cashier_id", "invalid", "No active user of this branch.")
    return cashier


def _resolve_customer(customer_id) -> Customer | None:
    if customer_id in (None, ""):
        return None
    customer = Customer.objects.filter(pk=customer_id, is_active=True).first()
    if customer is None:
        raise ValidationFailed.field("customer_id", "does_not_exist", "Unknown customer.")
    return customer


def _price_lines(actor: User, items: list[ItemRequest], order_discount: Decimal):
    if not items:
        raise ValidationFailed.field("items", "required", "An order needs at least one item.")
    products = Product.objects.in_bulk({item.product_id for item in items})
    errors, lines, chosen = [], [], []
    may_override = actor.role in (Role.ADMIN, Role.MANAGER)
    for index, item in enumerate(items):
        product = products.get(item.product_id)
        path = f"items[{index}]"
        if product is None or not product.is_active:
            errors.append(field_error(f"{path}.product_id", "does_not_exist", "Unknown product."))
            continue
        price = product.price
        if item.unit_price is not None and item.unit_price != product.price:
            if not may_override:
                errors.append(
                    field_error(
                        f"{path}.unit_price",
                        "price_mismatch",
                        f"The current price is {product.price}; refresh the catalog.",
                    )
                )
                continue
            price = item.unit_price
        gross = quantize(price * item.quantity)
        if item.discount_amount > gross:
            errors.append(
                field_error(
                    f"{path}.discount_amount",
                    "discount_too_large",
                    f"Discount {item.discount_amount} exceeds the line amount {gross}.",
                )
            )
            continue
        lines.append(LineInput(price, item.quantity, product.vat_rate, item.discount_amount))
        chosen.append(product)
    if errors:
        raise ValidationFailed.of(errors)
    base = sum((quantize(line.unit_price * line.quantity) - line.discount for line in lines), ZERO)
    if order_discount > base:
        raise ValidationFailed.field(
            "discount_amount",
            "discount_too_large",
            f"Order discount {order_discount} exceeds the amount {base}.",
        )
    return chosen, lines


def _check_payments(
    payments: list[PaymentRequest], total: Decimal, customer: Customer | None, *, required: bool
) -> tuple[list[Decimal], Decimal, Decimal]:
    """Validate tenders; returns (amount applied per payment, paid, change due)."""
    errors = []
    for index, payment in enumerate(payments):
        if payment.method == PaymentMethod.CREDIT and customer is None:
            errors.append(
                field_error(
                    f"payments[{index}].method",
                    "customer_required",
                    "Credit (on account) payments need a customer_id.",
                )
            )
    if errors:
        raise ValidationFailed.of(errors)
    paid = sum((p.amount for p in payments), ZERO)
    if not payments and not required:
        return [], ZERO, ZERO
    if paid > MAX_AMOUNT:  # the order's paid_amount is a DecimalField(12, 2) too
        raise ValidationFailed.of([amount_too_large("payments", "The amount paid", paid)])
    credit = sum((p.amount for p in payments if p.method == PaymentMethod.CREDIT), ZERO)
    if customer is not None and customer.balance + credit > MAX_AMOUNT:
        raise ValidationFailed.of(
            [amount_too_large("payments", "The customer's balance", customer.balance + credit)]
        )
    if paid < total:
        raise ValidationFailed.field(
            "payments", "insufficient_payment", f"Paid {paid}, total {total}: {total - paid} short."
        )
    cash = sum((p.amount for p in payments if p.method == PaymentMethod.CASH), ZERO)
    change = paid - total
    if change > cash:
        raise ValidationFailed.field(
            "payments",
            "overpayment",
            f"Only cash may exceed the total: non-cash tenders {paid - cash} "
            f"exceed the total {total}.",
        )
    # Change comes out of the cash tenders, last first.
    applied = [p.amount for p in payments]
    remaining = change
    for index in range(len(payments) - 1, -1, -1):
        if remaining == ZERO:
            break
        if payments[index].method == PaymentMethod.CASH:
            take = min(remaining, applied[index])
            applied[index] -= take
            remaining -= take
    return applied, paid, change


def order_quote(
    *,
    actor: User,
    items: list[ItemRequest],
    payments: list[PaymentRequest],
    branch_id=None,
    cashier_id=None,
    customer_id=None,
    discount_amount: Decimal = ZERO,
    notes: str = "",
    payments_required: bool = True,
) -> Quote:
    """Everything an order would be, computed from the catalog, without writing anything."""
    branch = branch_for_write(actor, branch_id)
    cashier = _resolve_cashier(actor, cashier_id, branch)
    customer = _resolve_customer(customer_id)
    products, lines = _price_lines(actor, items, discount_amount)
    include_vat = settings.POSPRO_PRICES_INCLUDE_VAT
    priced = price_order(lines, order_discount=discount_amount, prices_include_vat=include_vat)
    applied, paid, change = _check_payments(
        payments, priced.total, customer, required=payments_required
    )
    return Quote(
        branch=branch,
        cashier=cashier,
        customer=customer,
        products=products,
        priced=priced,
        payments=payments,
        applied=applied,
        paid=paid,
        change_due=change,
        prices_include_vat=include_vat,
        notes=notes,
    )


# --- Creating ---------------------------------------------------------------------------------


def format_order_number(day, number: int) -> str:
    """The order number shown on receipts: ORD-YYYYMMDD-NNN, counted per business day."""
    return f"ORD-{day:%Y%m%d}-{number:03d}"


def _finish_sale(order: Order, items: list[OrderItem], payments: list[Payment]) -> None:
    """Write the rows every sale of the day shares, last: the rollups, then the order's number.
    They stay locked from here to commit, so a sale holds them as briefly as it can."""
    rollup.record_sale(order, items, payments)
    _take_order_number(order)


def _take_order_number(order: Order) -> None:
    """Give the order the next number of its business day: numbers are unique and, as a
    rollback returns the number, gap-free."""
    day = order.business_date
    counter, _ = OrderSequence.objects.select_for_update().get_or_create(day=day)
    counter.last += 1
    counter.save(update_fields=["last"])
    order.order_number = format_order_number(day, counter.last)
    Order.objects.filter(pk=order.pk).update(order_number=order.order_number)


@transaction.atomic
def order_create(
    *, actor: User, order_id: UUID | None = None, register_id=None, **quote_args
) -> Order:
    """Write the quoted order, its lines, payments and stock movements, all or nothing. With
    `register_id` the order belongs to that register's open cash session."""
    order, items, payments = _create_order(
        actor=actor, order_id=order_id, register_id=register_id, **quote_args
    )
    _finish_sale(order, items, payments)
    return order


def _create_order(
    *, actor: User, order_id: UUID | None, register_id=None, **quote_args
) -> tuple[Order, list[OrderItem], list[Payment]]:
    """Everything of order_create but the rows it shares with every sale of the day (rollups,
    number: `_finish_sale`), in the caller's transaction.

    Locks in the fixed order: stock rows, the customer's row (a credit sale), the register's
    open cash session (a sale naming a register), and last, in _finish_sale, the day's order
    sequence. Without a register no cash-session query runs."""
    order_id = order_id or uuid4()
    quote = order_quote(actor=actor, **quote_args)
    priced = quote.priced
    require_register(any(p.method == PaymentMethod.CASH for p in quote.payments), register_id)
    register = None
    if register_id not in (None, ""):
        register = resolve_register(register_id, branch_id=quote.branch.pk)
    # Stock first: the likeliest refusal.
    stock_apply(
        changes=[
            StockChange(product.pk, quote.branch.pk, -line.quantity, f"items[{i}].quantity")
            for i, (product, line) in enumerate(zip(quote.products, priced.lines, strict=True))
        ],
        reason=MovementReason.SALE,
        user=actor,
        order_id=order_id,
        savepoint=False,
    )
    credit = sum(
        (
            applied
            for payment, applied in zip(quote.payments, quote.applied, strict=True)
            if payment.method == PaymentMethod.CREDIT
        ),
        ZERO,
    )
    if credit:
        _charge_account(actor=actor, customer_id=quote.customer.pk, amount=credit)
    session = lock_open_session(register) if register is not None else None
    now = timezone.now()
    moment = local(now)
    try:
        with transaction.atomic(savepoint=False):
            order = Order.objects.create(
                id=order_id,
                cash_session=session,
                branch=quote.branch,
                cashier=quote.cashier,
                customer=quote.customer,
                status=OrderStatus.COMPLETED,
                subtotal=priced.subtotal,
                discount_amount=priced.discount,
                tax_amount=priced.tax,
                total_amount=priced.total,
                paid_amount=quote.paid,
                change_due=quote.change_due,
                prices_include_vat=quote.prices_include_vat,
                notes=quote.notes,
                business_date=moment.date(),
                business_hour=moment.hour,
                created_at=now,
            )
    except IntegrityError as exc:  # a till id already used (by another user, or raced)
        raise Conflict("An order with this id already exists.") from exc
    items = OrderItem.objects.bulk_create(
        [
            OrderItem(
                order=order,
                line_no=index + 1,
                product=product,
                name=product.name,
                barcode=product.barcode,
                quantity=line.quantity,
                unit_price=line.unit_price,
                unit_cost=product.cost_price,
                vat_rate=line.vat_rate,
                gross_amount=line.gross,
                line_discount=line.line_discount,
                order_discount_share=line.order_discount_share,
                discount_amount=line.discount,
                net_amount=line.net,
                tax_amount=line.tax,
                line_total=line.total,
            )
            for index, (product, line) in enumerate(zip(quote.products, priced.lines, strict=True))
        ]
    )
    payments = Payment.objects.bulk_create(
        [
            Payment(
                order=order,
                position=position,
                method=payment.method,
                amount=payment.amount,
                applied_amount=applied,
                reference=payment.reference,
            )
            for position, (payment, applied) in enumerate(
                zip(quote.payments, quote.applied, strict=True)
            )
        ]
    )
    metrics.order_created_on_commit(order, payments)
    events.sales_changed_on_commit(order.branch_id, order.business_date)
    return order, items, payments


def _lock_customer(customer_id) -> Customer:
    """The customer's row, locked to commit. Taken after any stock rows (sales, refunds and
    cancellations all lock stock first), so account writes cannot deadlock with them."""
    customer = Customer.objects.select_for_update(of=("self",)).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def _charge_account(*, actor: User, customer_id, amount: Decimal) -> None:
    """Add a credit sale to the customer's balance, within their credit limit for cashiers.
    The limit is checked on the locked row, so two concurrent credit sales cannot both pass
    it on the same old balance."""
    customer = _lock_customer(customer_id)
    limit = customer.credit_limit
    if (
        limit is not None
        and customer.balance + amount > limit
        and actor.role not in (Role.ADMIN, Role.MANAGER)
    ):
        raise CreditLimitExceeded(
            f"On account {amount} would take the balance {customer.balance} above the credit "
            f"limit {limit}; {max(limit - customer.balance, ZERO)} is available."
        )
    Customer.objects.filter(pk=customer.pk).update(balance=F("balance") + amount)


# --- Idempotency ------------------------------------------------------------------------------


def request_fingerprint(body) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _advisory_key(user_id, key: str) -> int:
    digest = hashlib.sha256(f"pospro-idem:{user_id}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@dataclass(frozen=True)
class PlacedOrder:
    status: int
    body: dict
    replayed: bool


def order_place(
    *, actor: User, idempotency_key: str | None, request_hash: str, render, **order_args
) -> PlacedOrder:
    """Create an order at most once per (user, key); `render(order, items, payments)` is its
    answer, made from the rows the sale has just written.

    The same key and body within 24 h replays the stored answer; another body -> 422; the same
    key while its first request is still running -> 409. The key row commits in the order's
    transaction, so a crash leaves either nothing or a complete order that a retry replays.
    Refusals (400/409) are not stored: the till may correct and retry with the same key.
    """
    if not idempotency_key:
        with transaction.atomic():
            order, items, payments = _create_order(actor=actor, **order_args)
            _finish_sale(order, items, payments)
        return PlacedOrder(201, render(order, items, payments), False)

    with transaction.atomic():
        # Held to commit: a second request with the key sees it taken and answers 409.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s)", [_advisory_key(actor.pk, idempotency_key)]
            )
            (acquired,) = cursor.fetchone()
        if not acquired:
            raise IdempotencyInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
        now = timezone.now()
        existing = IdempotencyKey.objects.filter(user=actor, key=idempotency_key).first()
        if existing is not None and existing.expires_at <= now:
            existing.delete()
            existing = None
        if existing is not None:
            if existing.request_hash != request_hash:
                raise IdempotencyKeyMismatch(
                    "This Idempotency-Key was used with a different request body."
                )
            return PlacedOrder(existing.response_status, json.loads(existing.response_body), True)
        order, items, payments = _create_order(actor=actor, **order_args)
        # Rendered before the shared rows are written: they stay locked to commit.
        body = render(order, items, payments)
        _finish_sale(order, items, payments)
        body["order_number"] = order.order_number
        IdempotencyKey.objects.create(
            user=actor,
            key=idempotency_key,
            request_hash=request_hash,
            response_status=201,
            response_body=json.dumps(body, cls=JSONEncoder),
            order=order,
            created_at=now,
            expires_at=now + IDEMPOTENCY_TTL,
        )
        return PlacedOrder(201, body, False)


def idempotency_purge(*, now=None) -> int:
    """Delete expired keys; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# --- Refunds and cancellations ----------------------------------------------------------------


@dataclass(frozen=True)
class RefundLineRequest:
    order_item_id: UUID
    quantity: int


def _lock_order(order_id) -> Order:
    order = Order.objects.select_for_update(of=("self",)).filter(pk=order_id).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def refund_method_for(payment_methods: Iterable[str]) -> str:
    """How a refund is paid back by default: the method of the order's payments when they
    all used one, else cash."""
    methods = set(payment_methods)
    return methods.pop() if len(methods) == 1 else PaymentMethod.CASH


def _account_owed(order: Order, payments: list[Payment]) -> Decimal:
    """What the customer still owes on account for this order: its credit tender less what
    earlier refunds gave back to the account, and never more than the balance (the customer
    may have paid the debt off since). Locks the customer's row."""
    credit = sum((p.applied_amount for p in payments if p.method == PaymentMethod.CREDIT), ZERO)
    if order.customer_id is None or credit == ZERO:
        return ZERO
    returned = sum(
        order.refunds.filter(method=PaymentMethod.CREDIT).values_list("amount", flat=True), ZERO
    )
    balance = Customer.objects.select_for_update().get(pk=order.customer_id).balance
    return max(min(credit - returned, balance), ZERO)


def _refund_method(order: Order, amount: Decimal, method: str | None) -> str:
    """A refund reduces what is owed before it pays anything out.

    While any of the order's credit is still owed, the whole refund goes to the customer's
    account (method `credit`): one refund has one method, so a refund larger than the debt
    leaves the excess on the account in the customer's favour; asking for another method is
    refused. Once nothing is owed, the refund is paid out by the method asked for, by default
    the order's one non-credit method, else cash.
    """
    payments = list(order.payments.all())
    owed = _account_owed(order, payments)
    if owed > ZERO:
        if method not in (None, PaymentMethod.CREDIT):
            raise ValidationFailed.field(
                "method",
                "credit_owed",
                f"{owed} of this order's credit is still owed on account, so the refund of "
                f"{amount} goes to the account first: use method credit or leave it out.",
            )
        return PaymentMethod.CREDIT
    if method is None:
        return refund_method_for(p.method for p in payments if p.method != PaymentMethod.CREDIT)
    if method == PaymentMethod.CREDIT and order.customer_id is None:
        raise ValidationFailed.field("method", "customer_required", "The order has no customer.")
    return method


@transaction.atomic
def order_refund(
    *,
    actor: User,
    order_id: UUID,
    items: list[RefundLineRequest],
    reason: str = "",
    method: str | None = None,
    register_id=None,
) -> Refund:
    """Refund some or all of what was sold; restock with reason `return`.

    Amounts are the line's own, pro rata to quantity; the refund that completes a line takes
    exactly what is left of it, so a line refunded in parts adds up to its total to the cent.
    With `register_id` the refund belongs to that register's open cash session (where it
    happens, whichever session the order was sold in); locked after the stock and customer
    rows.
    """
    order = _lock_order(order_id)
    register = None
    if register_id not in (None, ""):
        register = resolve_register(register_id, branch_id=order.branch_id)
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REFUNDED):
        raise Conflict(f"The order is {order.status}; nothing is left to refund.")
    if not items:
        raise ValidationFailed.field("items", "required", "Name at least one line to refund.")
    order_items = {item.pk: item for item in order.items.all()}
    refunded = {item_id: [0, ZERO, ZERO] for item_id in order_items}
    for row in RefundItem.objects.filter(order_item__order=order).values(
        "order_item_id", "quantity", "amount", "tax_amount"
    ):
        done = refunded[row["order_item_id"]]
        done[0] += row["quantity"]
        done[1] += row["amount"]
        done[2] += row["tax_amount"]

    errors, seen, lines = [], set(), []
    for index, request in enumerate(items):
        item = order_items.get(request.order_item_id)
        path = f"items[{index}]"
        if item is None:
            errors.append(
                field_error(f"{path}.order_item_id", "does_not_exist", "Not a line of this order.")
            )
            continue
        if item.pk in seen:
            errors.append(field_error(f"{path}.order_item_id", "duplicate", "Line named twice."))
            continue
        seen.add(item.pk)
        left = item.quantity - refunded[item.pk][0]
        if request.quantity > left:
            errors.append(
                field_error(
                    f"{path}.quantity",
                    "exceeds_refundable",
                    f"Only {left} of {item.quantity} can still be refunded.",
                )
            )
            continue
        amount, tax = refund_line(
            total=item.line_total,
            tax=item.tax_amount,
            sold=item.quantity,
            quantity=request.quantity,
            refunded=tuple(refunded[item.pk]),
        )
        lines.append((item, request.quantity, amount, tax))
    if errors:
        raise ValidationFailed.of(errors)

    total = sum((line[2] for line in lines), ZERO)
    # Stock before the customer's row, as a sale takes them: the two cannot deadlock.
    stock_apply(
        changes=[StockChange(item.product_id, order.branch_id, qty) for item, qty, _, _ in lines],
        reason=MovementReason.RETURN,
        user=actor,
        order_id=order.pk,
        note=reason,
    )
    method = _refund_method(order, total, method)
    require_register(method == PaymentMethod.CASH, register_id)
    if method == PaymentMethod.CREDIT:  # the customer's row before the session's
        Customer.objects.filter(pk=order.customer_id).update(balance=F("balance") - total)
    session = lock_open_session(register) if register is not None else None

    now = timezone.now()
    moment = local(now)
    refund = Refund.objects.create(
        order=order,
        cash_session=session,
        amount=total,
        tax_amount=sum((line[3] for line in lines), ZERO),
        method=method,
        reason=reason,
        user=actor,
        business_date=moment.date(),
        business_hour=moment.hour,
        created_at=now,
    )
    refund_items = RefundItem.objects.bulk_create(
        [
            RefundItem(refund=refund, order_item=item, quantity=qty, amount=amount, tax_amount=tax)
            for item, qty, amount, tax in lines
        ]
    )
    for item, qty, _, _ in lines:
        refunded[item.pk][0] += qty
    fully = all(refunded[item_id][0] == item.quantity for item_id, item in order_items.items())
    order.status = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    order.save(update_fields=["status"])
    rollup.record_refund(order, refund, refund_items)
    metrics.refund_created_on_commit(order, refund)
    events.sales_changed_on_commit(order.branch_id, order.business_date, refund.business_date)
    return refund


@transaction.atomic
def order_cancel(*, actor: User, order_id: UUID, reason: str = "", register_id=None) -> Order:
    """Void a whole order on its business day: stock and the customer's balance are restored.
    With `register_id` the cancellation (and the cash it gives back) counts in that register's
    open cash session, whichever session the order was sold in."""
    order = _lock_order(order_id)
    register = None
    if register_id not in (None, ""):
        register = resolve_register(register_id, branch_id=order.branch_id)
    if order.status == OrderStatus.CANCELLED:
        raise Conflict("The order is already cancelled.")
    if order.status != OrderStatus.COMPLETED:
        raise Conflict("The order has refunds; refund the remaining lines instead.")
    if order.business_date != business_today():
        raise Conflict("Orders can only be cancelled on the business day of the sale.")
    items = list(order.items.all())
    stock_apply(
        changes=[StockChange(item.product_id, order.branch_id, item.quantity) for item in items],
        reason=MovementReason.CANCELLATION,
        user=actor,
        order_id=order.pk,
        note=reason,
    )
    payments = list(order.payments.all())
    require_register(any(p.method == PaymentMethod.CASH for p in payments), register_id)
    credit = sum((p.applied_amount for p in payments if p.method == PaymentMethod.CREDIT), ZERO)
    if credit:
        Customer.objects.filter(pk=order.customer_id).update(balance=F("balance") - credit)
    session = lock_open_session(register) if register is not None else None
    rollup.record_cancel(order, items, payments)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason
    order.cancel_session = session
    order.save(update_fields=["status", "cancelled_at", "cancel_reason", "cancel_session"])
    metrics.order_cancelled_on_commit(order)
    events.sales_changed_on_commit(order.branch_id, order.business_date)
    return order


# --- Customers --------------------------------------------------------------------------------

CUSTOMER_FIELDS = ("name", "email", "phone", "tax_number", "notes", "credit_limit")


def _check_credit_limit_change(actor: User | None, before: Decimal | None, after) -> None:
    """Only managers and admins set credit limits: a cashier who could lift one could also
    sell past it, which the limit exists to prevent."""
    if actor is not None and after != before and actor.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden("Only managers and admins may set a customer's credit limit.")


@transaction.atomic
def customer_create(*, actor: User | None = None, **fields) -> Customer:
    data = {k: v for k, v in fields.items() if k in CUSTOMER_FIELDS}
    _check_credit_limit_change(actor, None, data.get("credit_limit"))
    return Customer.objects.create(**data)


@transaction.atomic
def customer_update(*, customer: Customer, actor: User | None = None, **fields) -> Customer:
    if "credit_limit" in fields:
        _check_credit_limit_change(actor, customer.credit_limit, fields["credit_limit"])
    for key, value in fields.items():
        if key in CUSTOMER_FIELDS:
            setattr(customer, key, value)
    # Never the balance: sales and account payments change it with F() under the row lock.
    customer.save(update_fields=[*(k for k in fields if k in CUSTOMER_FIELDS), "updated_at"])
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Soft delete; refused while the customer still owes (or is owed) money on account."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.balance != ZERO:
        raise Conflict(f"The customer's account balance is {customer.balance}; settle it first.")
    customer.is_active = False
    customer.save(update_fields=["is_active", "updated_at"])


@transaction.atomic
def customer_payment_create(
    *,
    actor: User,
    customer_id,
    amount: Decimal,
    method: str,
    reference: str = "",
    note: str = "",
    register_id=None,
) -> CustomerPayment:
    """A customer pays off what they owe on account. Customers are the whole chain's, so any
    branch takes the payment. The balance is read on the locked row and lowered with F(), so
    concurrent payments and credit sales never lose an update and never pay below zero.
    With `register_id` (a register in the actor's scope) the payment belongs to its open cash
    session, locked after the customer's row."""
    if amount <= ZERO:
        raise ValidationFailed.field("amount", "min_value", "Must be greater than 0.")
    if method not in AccountPaymentMethod.values:
        raise ValidationFailed.field("method", "invalid_choice", "Must be cash or card.")
    require_register(method == AccountPaymentMethod.CASH, register_id)
    register = None
    if register_id not in (None, ""):
        register = resolve_register(register_id, actor=actor)
    customer = _lock_customer(customer_id)
    if not customer.is_active:
        raise NotFound("Customer not found.")
    if amount > customer.balance:
        raise ExceedsBalance(
            f"The payment {amount} exceeds the balance owed {max(customer.balance, ZERO)}.",
            errors=[field_error("amount", "exceeds_balance", "More than the balance owed.")],
        )
    session = lock_open_session(register) if register is not None else None
    Customer.objects.filter(pk=customer.pk).update(balance=F("balance") - amount)
    now = timezone.now()
    return CustomerPayment.objects.create(
        customer=customer,
        cash_session=session,
        amount=amount,
        method=method,
        reference=reference or "",
        note=note or "",
        user=actor,
        balance_after=customer.balance - amount,
        business_date=local(now).date(),
        created_at=now,
    )

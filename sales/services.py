"""Selling: quote, create (idempotently), refund and cancel orders; customers.

An order is written in one transaction: its stock leaves through catalog.services (rows locked
in a fixed order), it takes the next gap-free number of its business day, and the idempotency
record commits with it. Any failure rolls every part back.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field
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
from pospro.db import insert_rows, uuid_param
from pospro.exceptions import Conflict, Forbidden, NotFound, ValidationFailed, field_error
from pospro.money import ZERO, quantize
from sales import events, metrics, rollup
from sales.exceptions import IdempotencyInProgress, IdempotencyKeyMismatch
from sales.models import (
    Customer,
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
from sales.pricing import LineInput, PricedOrder, price_order

logger = logging.getLogger("pospro.sales")

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
    unit_costs: list[Decimal] = field(default_factory=list)


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


def _products_by_id(ids: set) -> dict:
    if connection.vendor == "postgresql":
        # One statement text for any number of lines: prepared once per connection.
        found = Product.objects.raw(
            "SELECT * FROM catalog_product WHERE id = ANY(%s::uuid[])", [list(ids)]
        )
    else:
        found = Product.objects.filter(pk__in=ids)
    return {product.pk: product for product in found}


def _price_lines(actor: User, items: list[ItemRequest], order_discount: Decimal):
    if not items:
        raise ValidationFailed.field("items", "required", "An order needs at least one item.")
    products = _products_by_id({item.product_id for item in items})
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
        unit_costs=[p.cost_price for p in products],
    )


# --- Creating ---------------------------------------------------------------------------------


def _next_order_number(day, branch_id) -> str:
    """Take the next number of the business day. The counter row stays locked until commit,
    so numbers are unique and, as a rollback returns the number, gap-free. The same statement
    takes the branch-day's shared leader lock that the sale's rollup rows need (sales.rollup),
    a round trip saved on the busiest write."""
    table = connection.ops.quote_name(OrderSequence._meta.db_table)
    lock, lock_params = rollup.day_lock_sql(branch_id, day)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, last) VALUES (%s, 1) "  # noqa: S608 - table name only
            f"ON CONFLICT (day) DO UPDATE SET last = {table}.last + 1 "
            f"RETURNING last{', ' + lock if lock else ''}",
            [day, *lock_params],
        )
        number = cursor.fetchone()[0]
    return f"ORD-{day:%Y%m%d}-{number:03d}"


def _insert_order(order_id: UUID, quote: Quote, now, moment) -> Order:
    priced = quote.priced
    order = Order(
        id=order_id,
        order_number=_next_order_number(moment.date(), quote.branch.pk),
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
    return insert_rows([order])[0]


@transaction.atomic
def order_create(*, actor: User, order_id: UUID | None = None, **quote_args) -> Order:
    """Write the quoted order, its lines, payments and stock movements, all or nothing."""
    return _create_order(actor=actor, order_id=order_id, **quote_args)


def _create_order(*, actor: User, order_id: UUID | None, **quote_args) -> Order:
    """The body of order_create, run inside the caller's transaction. Nested blocks take no
    savepoints: any failure fails the whole order, and the busiest write saves round trips."""
    order_id = order_id or uuid4()
    quote = order_quote(actor=actor, **quote_args)
    # Stock first: the likeliest refusal, and the counter row is then locked only briefly.
    stock_apply(
        changes=[
            StockChange(product.pk, quote.branch.pk, -line.quantity, f"items[{i}].quantity")
            for i, (product, line) in enumerate(
                zip(quote.products, quote.priced.lines, strict=True)
            )
        ],
        reason=MovementReason.SALE,
        user=actor,
        order_id=order_id,
        savepoint=False,
    )
    now = timezone.now()
    moment = local(now)
    priced = quote.priced
    try:
        with transaction.atomic(savepoint=False):
            order = _insert_order(order_id, quote, now, moment)
    except IntegrityError as exc:  # a till id already used (by another user, or raced)
        raise Conflict("An order with this id already exists.") from exc
    order._prefetched_objects_cache = {
        "items": insert_rows(
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
                for index, (product, line) in enumerate(
                    zip(quote.products, priced.lines, strict=True)
                )
            ]
        ),
        "payments": insert_rows(
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
        ),
        "refunds": [],
    }
    credit = sum(
        (a for p, a in zip(quote.payments, quote.applied, strict=True) if p.method == "credit"),
        ZERO,
    )
    if credit:
        Customer.objects.filter(pk=quote.customer.pk).update(balance=F("balance") + credit)
    rollup.record_sale(
        order,
        order._prefetched_objects_cache["items"],
        order._prefetched_objects_cache["payments"],
        day_locked=True,  # by the order number's statement
    )
    metrics.order_created_on_commit(order, order._prefetched_objects_cache["payments"])
    events.sales_changed_on_commit(order.branch_id, order.business_date)
    return order


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
    """Create an order at most once per (user, key).

    The same key and body within 24 h replays the stored answer; another body -> 422; the same
    key while its first request is still running -> 409. The key row commits in the order's
    transaction, so a crash leaves either nothing or a complete order that a retry replays.
    Refusals (400/409) are not stored: the till may correct and retry with the same key.
    """
    if not idempotency_key:
        order = order_create(actor=actor, **order_args)
        return PlacedOrder(201, render(order), False)

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_xact_lock(%s)",
                    [_advisory_key(actor.pk, idempotency_key)],
                )
                (acquired,) = cursor.fetchone()
            if not acquired:
                raise IdempotencyInProgress(
                    "A request with this Idempotency-Key is still being processed; retry shortly."
                )
        now = timezone.now()
        existing = next(
            iter(
                IdempotencyKey.objects.raw(
                    "SELECT * FROM sales_idempotencykey WHERE user_id = %s AND key = %s",
                    [uuid_param(actor.pk), idempotency_key],
                )
            ),
            None,
        )
        if existing is not None and existing.expires_at <= now:
            existing.delete()
            existing = None
        if existing is not None:
            if existing.request_hash != request_hash:
                raise IdempotencyKeyMismatch(
                    "This Idempotency-Key was used with a different request body."
                )
            return PlacedOrder(existing.response_status, existing.response_body, True)
        order = _create_order(actor=actor, **order_args)
        body = render(order)
        try:
            with transaction.atomic(savepoint=False):
                insert_rows(
                    [
                        IdempotencyKey(
                            user=actor,
                            key=idempotency_key,
                            request_hash=request_hash,
                            response_status=201,
                            response_body=json.loads(json.dumps(body, cls=JSONEncoder)),
                            order=order,
                            created_at=now,
                            expires_at=now + IDEMPOTENCY_TTL,
                        )
                    ]
                )
        except IntegrityError as exc:  # only without advisory locks (SQLite demo)
            raise IdempotencyInProgress(
                "A request with this Idempotency-Key ran meanwhile."
            ) from exc
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


def _default_refund_method(order: Order) -> str:
    methods = list(order.payments.values_list("method", flat=True).distinct())
    return methods[0] if len(methods) == 1 else PaymentMethod.CASH


@transaction.atomic
def order_refund(
    *,
    actor: User,
    order_id: UUID,
    items: list[RefundLineRequest],
    reason: str = "",
    method: str | None = None,
) -> Refund:
    """Refund some or all of what was sold; restock with reason `return`.

    Amounts are the line's own, pro rata to quantity; the refund that completes a line takes
    exactly what is left of it, so a line refunded in parts adds up to its total to the cent.
    """
    order = _lock_order(order_id)
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
        if request.quantity == left:
            amount = item.line_total - refunded[item.pk][1]
            tax = item.tax_amount - refunded[item.pk][2]
        else:
            amount = quantize(item.line_total * request.quantity / item.quantity)
            tax = quantize(item.tax_amount * request.quantity / item.quantity)
        lines.append((item, request.quantity, amount, tax))
    if errors:
        raise ValidationFailed.of(errors)

    method = method or _default_refund_method(order)
    if method == PaymentMethod.CREDIT and order.customer_id is None:
        raise ValidationFailed.field("method", "customer_required", "The order has no customer.")

    now = timezone.now()
    moment = local(now)
    refund = Refund.objects.create(
        order=order,
        amount=sum((line[2] for line in lines), ZERO),
        tax_amount=sum((line[3] for line in lines), ZERO),
        method=method,
        reason=reason,
        user=actor,
        business_date=moment.date(),
        business_hour=moment.hour,
        created_at=now,
    )
    refund._prefetched_objects_cache = {
        "items": RefundItem.objects.bulk_create(
            [
                RefundItem(
                    refund=refund, order_item=item, quantity=qty, amount=amount, tax_amount=tax
                )
                for item, qty, amount, tax in lines
            ]
        )
    }
    stock_apply(
        changes=[StockChange(item.product_id, order.branch_id, qty) for item, qty, _, _ in lines],
        reason=MovementReason.RETURN,
        user=actor,
        order_id=order.pk,
        note=reason,
    )
    if method == PaymentMethod.CREDIT:
        Customer.objects.filter(pk=order.customer_id).update(balance=F("balance") - refund.amount)

    for item, qty, _, _ in lines:
        refunded[item.pk][0] += qty
    fully = all(refunded[item_id][0] == item.quantity for item_id, item in order_items.items())
    order.status = OrderStatus.REFUNDED if fully else OrderStatus.PARTIALLY_REFUNDED
    order.save(update_fields=["status"])
    rollup.record_refund(order, refund, refund._prefetched_objects_cache["items"])
    metrics.refund_created_on_commit(order, refund)
    events.sales_changed_on_commit(order.branch_id, order.business_date, refund.business_date)
    return refund


@transaction.atomic
def order_cancel(*, actor: User, order_id: UUID, reason: str = "") -> Order:
    """Void a whole order on its business day: stock and the customer's balance are restored."""
    order = _lock_order(order_id)
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
    credit = sum((p.applied_amount for p in payments if p.method == PaymentMethod.CREDIT), ZERO)
    if credit:
        Customer.objects.filter(pk=order.customer_id).update(balance=F("balance") - credit)
    rollup.record_cancel(order, items, payments)
    order.status = OrderStatus.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancel_reason = reason
    order.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    metrics.order_cancelled_on_commit(order)
    events.sales_changed_on_commit(order.branch_id, order.business_date)
    return order


# --- Customers --------------------------------------------------------------------------------

CUSTOMER_FIELDS = ("name", "email", "phone", "tax_number", "notes")


@transaction.atomic
def customer_create(**fields) -> Customer:
    return Customer.objects.create(**{k: v for k, v in fields.items() if k in CUSTOMER_FIELDS})


@transaction.atomic
def customer_update(*, customer: Customer, **fields) -> Customer:
    for key, value in fields.items():
        if key in CUSTOMER_FIELDS:
            setattr(customer, key, value)
    customer.save()
    return customer


@transaction.atomic
def customer_delete(*, customer: Customer) -> None:
    """Soft delete; refused while the customer still owes (or is owed) money on account."""
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.balance != ZERO:
        raise Conflict(f"The customer's account balance is {customer.balance}; settle it first.")
    customer.is_active = False
    customer.save(update_fields=["is_active", "updated_at"])

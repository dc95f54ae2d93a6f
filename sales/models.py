"""Customers, orders (with their lines, payments and refunds) and idempotency records.

Orders, lines, payments and refunds are written once and never edited in place; corrections are
new refund or cancellation records. The only fields of an order that change after creation are
its status (and the cancellation stamp), under a row lock.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Branch
from catalog.models import Product


class Customer(models.Model):
    """`balance` is what the customer owes on account (credit payments minus credit refunds)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    tax_number = models.CharField(max_length=40, blank=True, default="")
    notes = models.TextField(blank=True, default="")
    balance = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    #: The most `balance` may reach through credit sales by cashiers; null: no limit.
    credit_limit = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["is_active", "name"], name="sales_customer_active_name"),
            models.Index(fields=["phone"], name="sales_customer_phone"),
            models.Index(fields=["email"], name="sales_customer_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__isnull=True) | Q(credit_limit__gte=0),
                name="sales_customer_credit_limit_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    PARTIALLY_REFUNDED = "partially_refunded", "Partially refunded"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"
    MEAL_CARD = "meal_card", "Meal card"
    CREDIT = "credit", "On account"


class Register(models.Model):
    """One till's cash drawer in a branch. Sales, refunds and account payments that name it
    belong to its open cash session."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="registers")
    code = models.CharField(max_length=20)
    name = models.CharField(max_length=100, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["branch", "code"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "code"], name="sales_register_branch_code"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}".strip()


class CashSessionStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class CashSession(models.Model):
    """A shift of one register: from the opening float to the counted cash at close.

    The close writes the figures and the Z report (as JSON text, so every later read gives the
    close's answer byte for byte) and takes the register's next gap-free `z_number`. A register
    has at most one open session (a partial unique index), so two sessions of one register
    never close at once; the session's row lock orders closes against sales and movements.
    Nothing of a closed session changes again.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="sessions")
    #: The register's branch, copied for scoping without a join.
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="cash_sessions")
    status = models.CharField(
        max_length=10, choices=CashSessionStatus.choices, default=CashSessionStatus.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opened_cash_sessions"
    )
    opened_at = models.DateTimeField()
    #: Business-local day of the opening: the date filters and the cash report use it.
    business_date = models.DateField()
    opening_float = models.DecimalField(max_digits=12, decimal_places=2)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closed_cash_sessions",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    counted_cash = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    expected_cash = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    over_short = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    z_number = models.PositiveIntegerField(null=True, blank=True)
    note = models.TextField(blank=True, default="")
    #: The Z report as the close answered it (JSON text); empty while open.
    z_report = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-opened_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register"],
                condition=Q(status="open"),
                name="sales_cashsession_one_open",
            ),
            models.UniqueConstraint(
                fields=["register", "z_number"], name="sales_cashsession_register_z"
            ),
            models.CheckConstraint(
                condition=Q(opening_float__gte=0), name="sales_cashsession_float_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(counted_cash__isnull=True) | Q(counted_cash__gte=0),
                name="sales_cashsession_counted_gte_0",
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="open", closed_at__isnull=True, z_number__isnull=True)
                    | Q(
                        status="closed",
                        closed_at__isnull=False,
                        z_number__isnull=False,
                        counted_cash__isnull=False,
                        expected_cash__isnull=False,
                        over_short__isnull=False,
                    )
                ),
                name="sales_cashsession_status_fields",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "business_date"], name="sales_cashsession_branch_day"),
            models.Index(fields=["business_date"], name="sales_cashsession_day"),
            models.Index(fields=["register", "-opened_at"], name="sales_cashsession_register"),
        ]

    def __str__(self) -> str:
        return f"{self.register_id} Z{self.z_number}" if self.z_number else f"{self.pk} (open)"


class CashMovementType(models.TextChoices):
    PAID_IN = "paid_in", "Paid in"
    PAID_OUT = "paid_out", "Paid out"


class CashMovement(models.Model):
    """Cash put into or taken out of the drawer for something other than a sale."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(CashSession, on_delete=models.PROTECT, related_name="movements")
    type = models.CharField(max_length=10, choices=CashMovementType.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    reason = models.CharField(max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cash_movements"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="sales_cashmovement_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(type__in=CashMovementType.values), name="sales_cashmovement_type_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount}"


def _session_link(related_name: str) -> models.ForeignKey:
    """A record's cash session: most rows have none, so the index is partial (see Meta)."""
    return models.ForeignKey(
        CashSession,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name=related_name,
    )


class OrderSequence(models.Model):
    """Last order number handed out per business day. A sale increments it as its last write,
    so the row is locked only from then to commit, and a rolled-back sale gives its number
    back: the sequence has no gaps."""

    day = models.DateField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.day}: {self.last}"


class Order(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    #: Set by the last statements of the sale's transaction (sales.services): never empty once
    #: committed.
    order_number = models.CharField(max_length=32, unique=True, null=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="orders")
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, null=True, blank=True, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.COMPLETED
    )
    subtotal = models.DecimalField(max_digits=12, decimal_places=2)
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    total_amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_amount = models.DecimalField(max_digits=12, decimal_places=2)
    change_due = models.DecimalField(max_digits=12, decimal_places=2)
    prices_include_vat = models.BooleanField(default=False)
    notes = models.TextField(blank=True, default="")
    # Business-local day and hour of the sale, fixed at write time: reports group on them
    # without converting time zones per row.
    business_date = models.DateField()
    business_hour = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True, default="")
    #: The cash session the sale belongs to (its register's open session), if any.
    cash_session = _session_link("orders")
    #: The session the cancellation happened in: it counts there, never in a closed one.
    cancel_session = _session_link("cancellations")

    class Meta:
        ordering = ["-created_at", "-order_number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_amount__gte=0), name="sales_order_total_gte_0"
            ),
            models.CheckConstraint(condition=Q(change_due__gte=0), name="sales_order_change_gte_0"),
            models.CheckConstraint(
                condition=Q(business_hour__gte=0) & Q(business_hour__lte=23),
                name="sales_order_business_hour",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "business_date"], name="sales_order_branch_day"),
            models.Index(fields=["business_date"], name="sales_order_day"),
            models.Index(fields=["cashier", "business_date"], name="sales_order_cashier_day"),
            models.Index(fields=["customer", "-created_at"], name="sales_order_customer_time"),
            models.Index(fields=["-created_at"], name="sales_order_created"),
            models.Index(fields=["branch", "-created_at"], name="sales_order_branch_created"),
            # The few cancelled orders, for the orders list's total (sales.selectors).
            models.Index(
                fields=["branch"],
                condition=models.Q(status="cancelled"),
                name="sales_order_cancelled",
            ),
            models.Index(
                fields=["cash_session"],
                condition=models.Q(cash_session__isnull=False),
                name="sales_order_cash_session",
            ),
            models.Index(
                fields=["cancel_session"],
                condition=models.Q(cancel_session__isnull=False),
                name="sales_order_cancel_session",
            ),
        ]

    def __str__(self) -> str:
        return self.order_number or str(self.pk)


class OrderItem(models.Model):
    """A sold line, with a snapshot of everything the price depended on at sale time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="items")
    line_no = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_items")
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, null=True, blank=True)
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4)
    gross_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_discount = models.DecimalField(max_digits=12, decimal_places=2)
    order_discount_share = models.DecimalField(max_digits=12, decimal_places=2)
    #: line_discount + order_discount_share: the line's whole discount.
    discount_amount = models.DecimalField(max_digits=12, decimal_places=2)
    #: gross - discount: the taxable base (exclusive) or the VAT-inclusive amount (inclusive).
    net_amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    line_total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["order", "line_no"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sales_item_quantity_gte_1"),
            models.UniqueConstraint(fields=["order", "line_no"], name="sales_item_order_line"),
        ]
        indexes = [models.Index(fields=["product"], name="sales_item_product")]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.name}"


class Payment(models.Model):
    """`amount` is what was tendered; `applied_amount` what paid the order (cash minus change)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    #: Order of the tenders as the till sent them; answers list them in this order.
    position = models.PositiveSmallIntegerField(default=0)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    applied_amount = models.DecimalField(max_digits=12, decimal_places=2)
    reference = models.CharField(max_length=120, null=True, blank=True)

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="sales_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="sales_payment_method_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount}"


class AccountPaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    CARD = "card", "Card"


class CustomerPayment(models.Model):
    """Money a customer paid towards what they owe on account; lowers `Customer.balance`.

    Written once, like orders and refunds; `balance_after` is the balance the payment left,
    read under the customer's row lock, so a statement can be checked against it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="account_payments"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=16, choices=AccountPaymentMethod.choices)
    reference = models.CharField(max_length=120, blank=True, default="")
    note = models.TextField(blank=True, default="")
    #: Who took the payment.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="account_payments"
    )
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    business_date = models.DateField()
    created_at = models.DateTimeField()
    cash_session = _session_link("account_payments")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="sales_customerpayment_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(balance_after__gte=0), name="sales_customerpayment_balance_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(method__in=AccountPaymentMethod.values),
                name="sales_customerpayment_method_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "created_at"], name="sales_custpay_customer_time"),
            models.Index(fields=["business_date"], name="sales_custpay_day"),
            models.Index(
                fields=["cash_session"],
                condition=Q(cash_session__isnull=False),
                name="sales_custpay_cash_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.amount} from {self.customer_id}"


class Refund(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    reason = models.TextField(blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="refunds"
    )
    business_date = models.DateField()
    business_hour = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    cash_session = _session_link("refunds")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["business_date"], name="sales_refund_day"),
            models.Index(
                fields=["cash_session"],
                condition=Q(cash_session__isnull=False),
                name="sales_refund_cash_session",
            ),
        ]

    def __str__(self) -> str:
        return f"refund {self.amount} of {self.order_id}"


class RefundItem(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="items")
    order_item = models.ForeignKey(OrderItem, on_delete=models.PROTECT, related_name="refund_items")
    quantity = models.PositiveIntegerField()
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    tax_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["refund", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="sales_refunditem_qty_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.order_item_id}"


class IdempotencyKey(models.Model):
    """The first answer to a (user, key) order request, committed with the order itself."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    # The answer as JSON text: a jsonb column would give its keys back in its own order, and a
    # replay must be the first answer byte for byte.
    response_body = models.TextField()
    order = models.ForeignKey(Order, on_delete=models.CASCADE, null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="sales_idempotency_user_key"),
        ]

    def __str__(self) -> str:
        return self.key


class SalesRollup(models.Model):
    """Sales totals per (branch, business day, hour, cashier), kept in the same transaction as
    every sale, refund and cancellation, so reports read a few hundred rows instead of every
    order. Refunds count against the row of the order they refund (its business day), the rule
    every report follows. `manage.py rebuild_sales_rollup` recomputes it from the orders."""

    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    business_hour = models.PositiveSmallIntegerField()
    cashier = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    orders = models.IntegerField(default=0)
    gross = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    refunded = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    discount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    items = models.IntegerField(default=0)
    cash = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    card = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    meal_card = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    credit = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "business_date", "business_hour", "cashier"],
                name="sales_rollup_grain",
            )
        ]
        indexes = [models.Index(fields=["business_date", "branch"], name="sales_rollup_day")]

    def __str__(self) -> str:
        return f"{self.branch_id} {self.business_date} {self.business_hour}h"


class ProductSalesRollup(models.Model):
    """Per (branch, business day, product): what the product's counted lines brought, net of
    refunds. Kept with SalesRollup in the same transactions, so the reports that rank products
    read a day's few thousand rows instead of every line. `lines` counts the lines of orders
    that count (not cancelled), so a fully refunded product still shows, as it does in lines."""

    id = models.BigAutoField(primary_key=True)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    business_date = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lines = models.IntegerField(default=0)
    quantity = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    net_revenue = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["branch", "business_date", "product"], name="sales_product_rollup_grain"
            )
        ]
        indexes = [
            models.Index(
                fields=["business_date", "branch", "product"], name="sales_product_rollup_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product_id} {self.business_date}"

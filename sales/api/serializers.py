from decimal import Decimal

from rest_framework import serializers

from pospro.api.periods import BusinessDayField, check_period
from pospro.api.schema import BlankableEmailField
from pospro.clock import EARLIEST_DAY
from pospro.limits import INT_MAX
from sales.models import (
    AccountPaymentMethod,
    Customer,
    CustomerPayment,
    Order,
    OrderItem,
    Payment,
    PaymentMethod,
    Refund,
    RefundItem,
)
from sales.selectors import STATEMENT_DEFAULT_DAYS, statement_period

MONEY = {"max_digits": 12, "decimal_places": 2}
REGISTER_HELP = (
    "The register (cash drawer) this goes through: an active register of the order's branch "
    "(else 400 on `register_id`) with an open cash session (else 409 `no_open_session`); the "
    "record then belongs to that session. Required for anything that moves cash when "
    "POSPRO_REQUIRE_CASH_SESSION is on (else 400 `register_required`)."
)


def register_field(help_text: str = REGISTER_HELP) -> serializers.UUIDField:
    """The optional `register_id` of whatever can go through a cash drawer."""
    return serializers.UUIDField(required=False, allow_null=True, help_text=help_text)


def money_field(**kwargs):
    return serializers.DecimalField(**MONEY, **kwargs)


# --- input ------------------------------------------------------------------------------------


class OrderItemInputSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    unit_price = money_field(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="Optional. Must equal the catalog price for cashiers; managers may override.",
    )
    discount_amount = money_field(required=False, default=0, min_value=0)


class PaymentInputSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = money_field(min_value=Decimal("0.01"))
    reference = serializers.CharField(
        max_length=120, required=False, allow_null=True, allow_blank=True
    )


class OrderCreateInputSerializer(serializers.Serializer):
    id = serializers.UUIDField(
        required=False,
        help_text="Till-generated id; without an Idempotency-Key header it serves as the key.",
    )
    customer_id = serializers.UUIDField(required=False, allow_null=True)
    cashier_id = serializers.UUIDField(required=False, allow_null=True)
    branch_id = serializers.UUIDField(required=False, allow_null=True)
    items = OrderItemInputSerializer(many=True, allow_empty=False, max_length=500)
    payments = PaymentInputSerializer(many=True, allow_empty=False, max_length=20)
    discount_amount = money_field(required=False, default=0, min_value=0)
    notes = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    register_id = register_field()


class OrderCalculateInputSerializer(OrderCreateInputSerializer):
    payments = PaymentInputSerializer(many=True, required=False, default=list, max_length=20)


class RefundItemInputSerializer(serializers.Serializer):
    order_item_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=INT_MAX)


class RefundInputSerializer(serializers.Serializer):
    items = RefundItemInputSerializer(many=True, allow_empty=False, max_length=500)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    method = serializers.ChoiceField(
        choices=PaymentMethod.choices,
        required=False,
        allow_null=True,
        help_text=(
            "`credit` (and only credit) while the order's credit is still owed on account; "
            "after that defaults to the order's one non-credit payment method, else cash."
        ),
    )
    register_id = register_field()


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=False, max_length=2000)
    register_id = register_field()


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = BlankableEmailField(
        max_length=254, required=False, allow_blank=True, default="", help_text='"" for none.'
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tax_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    credit_limit = money_field(
        required=False,
        allow_null=True,
        min_value=0,
        help_text="The most the balance may reach through a cashier's credit sales; null for no "
        "limit. Only managers and admins may set or change it (403 otherwise).",
    )


class CustomerPaymentInputSerializer(serializers.Serializer):
    amount = money_field(min_value=Decimal("0.01"), help_text="At most the balance owed.")
    method = serializers.ChoiceField(choices=AccountPaymentMethod.choices)
    reference = serializers.CharField(
        max_length=120, required=False, allow_blank=True, allow_null=True, default=""
    )
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, allow_null=True, default=""
    )
    register_id = register_field(
        "A register of the caller's branch (admins: any) with an open cash session; the "
        "payment then belongs to it. Required for cash payments when "
        "POSPRO_REQUIRE_CASH_SESSION is on."
    )


class StatementQuerySerializer(serializers.Serializer):
    start_date = BusinessDayField(
        required=False,
        help_text=f"First business day, inclusive. Default: the last {STATEMENT_DEFAULT_DAYS} "
        "days when both dates are missing, else end_date.",
    )
    end_date = BusinessDayField(
        required=False,
        help_text=f"Last business day, inclusive. Default: today. From {EARLIEST_DAY} to the end "
        "of next year; a period spans at most POSPRO_REPORT_MAX_DAYS days (366 by default).",
    )

    def validate(self, attrs):
        start, end = statement_period(attrs.get("start_date"), attrs.get("end_date"))
        check_period(start, end, attrs)
        return {"start_date": start, "end_date": end}


# --- output -----------------------------------------------------------------------------------


class OrderItemSerializer(serializers.ModelSerializer):
    product_id = serializers.UUIDField()

    class Meta:
        model = OrderItem
        fields = [
            "id", "product_id", "name", "barcode", "quantity", "unit_price",
            "discount_amount", "vat_rate", "tax_amount", "line_total",
        ]  # fmt: skip
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Payment
        fields = ["id", "method", "amount", "reference"]
        read_only_fields = fields


class RefundItemSerializer(serializers.ModelSerializer):
    order_item_id = serializers.UUIDField()

    class Meta:
        model = RefundItem
        fields = ["id", "order_item_id", "quantity", "amount", "tax_amount"]
        read_only_fields = fields


class RefundSerializer(serializers.ModelSerializer):
    order_id = serializers.UUIDField()
    cash_session_id = serializers.UUIDField(
        allow_null=True, help_text="The cash session the refund was given in, if any."
    )
    items = RefundItemSerializer(many=True)

    class Meta:
        model = Refund
        fields = [
            "id",
            "order_id",
            "amount",
            "tax_amount",
            "items",
            "method",
            "reason",
            "created_at",
            "cash_session_id",
        ]
        read_only_fields = fields


class OrderRows(serializers.ListSerializer):
    """An order's lines, payments or refunds. A caller that already holds them passes them in the
    context as `{"rows": {"items": [...], "payments": [...], "refunds": [...]}}` (the sale that
    has just written them), and the order is rendered without reading them back; otherwise, and
    for the orders of a list, they come from the relation (prefetched by the selectors)."""

    def get_attribute(self, instance):
        rows = self.context.get("rows")
        if rows is not None and self.parent is self.root:
            return rows[self.field_name]
        return super().get_attribute(instance)


class OrderSerializer(serializers.ModelSerializer):
    branch_id = serializers.UUIDField()
    cashier_id = serializers.UUIDField()
    customer_id = serializers.UUIDField(allow_null=True)
    cash_session_id = serializers.UUIDField(
        allow_null=True, help_text="The cash session the order was sold in, if any."
    )
    cancel_session_id = serializers.UUIDField(
        allow_null=True, help_text="The cash session the order was cancelled in, if any."
    )
    items = OrderRows(child=OrderItemSerializer())
    payments = OrderRows(child=PaymentSerializer())
    refunds = OrderRows(child=RefundSerializer())

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "branch_id", "cashier_id", "customer_id", "status",
            "subtotal", "discount_amount", "tax_amount", "total_amount", "paid_amount",
            "change_due", "notes", "created_at", "cash_session_id", "cancel_session_id",
            "items", "payments", "refunds",
        ]  # fmt: skip
        read_only_fields = fields


class CalculatedItemSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    name = serializers.CharField()
    barcode = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    unit_price = money_field()
    discount_amount = money_field()
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    tax_amount = money_field()
    line_total = money_field()


class CalculatedPaymentSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    amount = money_field()
    reference = serializers.CharField(allow_null=True)


class OrderCalculationSerializer(serializers.Serializer):
    """The order as `POST /orders` would create it (no id, number or timestamp yet)."""

    branch_id = serializers.UUIDField()
    cashier_id = serializers.UUIDField()
    customer_id = serializers.UUIDField(allow_null=True)
    subtotal = money_field()
    discount_amount = money_field()
    tax_amount = money_field()
    total_amount = money_field()
    paid_amount = money_field()
    change_due = money_field()
    notes = serializers.CharField(allow_blank=True)
    items = CalculatedItemSerializer(many=True)
    payments = CalculatedPaymentSerializer(many=True)


class CustomerSerializer(serializers.ModelSerializer):
    email = BlankableEmailField(read_only=True, help_text='"" when the customer gave none.')
    total_spent = money_field(read_only=True)
    order_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id", "name", "email", "phone", "tax_number", "notes", "balance", "credit_limit",
            "total_spent", "order_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class CustomerPaymentSerializer(serializers.ModelSerializer):
    customer_id = serializers.UUIDField()

    class Meta:
        model = CustomerPayment
        fields = ["id", "customer_id", "amount", "method", "balance_after", "created_at"]
        read_only_fields = fields


class StatementEntrySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Business-local day of the movement.")
    type = serializers.ChoiceField(choices=["sale", "refund", "cancel", "payment"])
    reference = serializers.CharField(help_text="The order number, or the account payment's id.")
    debit = money_field(help_text="What raised the balance: the credit part of a sale.")
    credit = money_field(
        help_text="What lowered it: a credit refund, a cancelled credit sale, a payment."
    )
    balance = money_field(help_text="The balance after this entry.")


class CustomerStatementSerializer(serializers.Serializer):
    customer_id = serializers.UUIDField()
    opening_balance = money_field(help_text="The balance at the start of start_date.")
    closing_balance = money_field(
        help_text="The balance at the end of end_date: the customer's `balance` when it is today."
    )
    entries = StatementEntrySerializer(many=True)

from decimal import Decimal

from rest_framework import serializers

from pospro.api.schema import BlankableEmailField
from pospro.limits import INT_MAX
from sales.models import Customer, Order, OrderItem, Payment, PaymentMethod, Refund, RefundItem

MONEY = {"max_digits": 12, "decimal_places": 2}


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


class CancelInputSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=False, max_length=2000)


class CustomerInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    email = BlankableEmailField(
        max_length=254, required=False, allow_blank=True, default="", help_text='"" for none.'
    )
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    tax_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


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
        ]
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    branch_id = serializers.UUIDField()
    cashier_id = serializers.UUIDField()
    customer_id = serializers.UUIDField(allow_null=True)
    items = OrderItemSerializer(many=True)
    payments = PaymentSerializer(many=True)
    refunds = RefundSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "id", "order_number", "branch_id", "cashier_id", "customer_id", "status",
            "subtotal", "discount_amount", "tax_amount", "total_amount", "paid_amount",
            "change_due", "notes", "created_at", "items", "payments", "refunds",
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
            "id", "name", "email", "phone", "tax_number", "notes", "balance",
            "total_spent", "order_count", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields

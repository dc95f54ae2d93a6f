"""Registers, cash sessions, movements and the X/Z report."""

from decimal import Decimal

from rest_framework import serializers

from pospro.api.periods import BusinessDayField, check_period
from sales.api.serializers import money_field
from sales.models import (
    CashMovement,
    CashMovementType,
    CashSession,
    CashSessionStatus,
    PaymentMethod,
    Register,
)

# --- input ------------------------------------------------------------------------------------


class RegisterCreateInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, help_text='Unique per branch, e.g. "K1".')
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_active = serializers.BooleanField(required=False, default=True)
    branch_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Admins: any branch (required without a branch of their own). Managers: "
        "their own (the default).",
    )


class RegisterUpdateInputSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=20, required=False)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    is_active = serializers.BooleanField(
        required=False,
        help_text="false refused (409 `conflict`) while the register has an open session.",
    )


class CashSessionOpenInputSerializer(serializers.Serializer):
    register_id = serializers.UUIDField()
    opening_float = money_field(min_value=Decimal("0"), help_text="The cash put in the drawer.")


class CashMovementInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=CashMovementType.choices)
    amount = money_field(min_value=Decimal("0.01"))
    reason = serializers.CharField(max_length=200)


class CashSessionCloseInputSerializer(serializers.Serializer):
    counted_cash = money_field(min_value=Decimal("0"), help_text="The cash counted in the drawer.")
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, allow_null=True, default=""
    )


class CashSessionQuerySerializer(serializers.Serializer):
    register_id = serializers.UUIDField(required=False)
    status = serializers.ChoiceField(choices=CashSessionStatus.choices, required=False)
    start_date = BusinessDayField(
        required=False, help_text="First business day of the opening, inclusive."
    )
    end_date = BusinessDayField(
        required=False,
        help_text="Last business day of the opening, inclusive. With start_date, a period of "
        "at most POSPRO_REPORT_MAX_DAYS days.",
    )

    def validate(self, attrs):
        if "start_date" in attrs and "end_date" in attrs:
            check_period(attrs["start_date"], attrs["end_date"], attrs)
        return attrs


# --- output -----------------------------------------------------------------------------------


class RegisterSerializer(serializers.ModelSerializer):
    branch_id = serializers.UUIDField()
    open_session_id = serializers.UUIDField(
        allow_null=True, help_text="The register's open cash session, if any."
    )

    class Meta:
        model = Register
        fields = ["id", "branch_id", "code", "name", "is_active", "open_session_id"]
        read_only_fields = fields


class CashSessionSerializer(serializers.ModelSerializer):
    register_id = serializers.UUIDField()
    branch_id = serializers.UUIDField()
    opened_by = serializers.UUIDField(source="opened_by_id", help_text="The user's id.")
    closed_by = serializers.UUIDField(
        source="closed_by_id", allow_null=True, help_text="The user's id."
    )

    class Meta:
        model = CashSession
        fields = [
            "id", "register_id", "branch_id", "status", "business_date", "opened_by",
            "opened_at", "opening_float", "closed_by", "closed_at", "counted_cash",
            "expected_cash", "over_short", "z_number", "note",
        ]  # fmt: skip
        read_only_fields = fields


class CashMovementSerializer(serializers.ModelSerializer):
    user_id = serializers.UUIDField()

    class Meta:
        model = CashMovement
        fields = ["id", "type", "amount", "reason", "user_id", "created_at"]
        read_only_fields = fields


class ReportSalesSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    gross = money_field(help_text="Σ subtotal (before discounts).")
    discounts = money_field()
    tax = money_field()
    total = money_field()


class ReportAmountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    amount = money_field()


class ReportTenderSerializer(serializers.Serializer):
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    sales = money_field(help_text="What the method paid towards sales (cash: kept, not tendered).")
    refunds = money_field(
        help_text="Refunds paid by the method plus what it paid of orders cancelled here."
    )
    net = money_field(help_text="sales − refunds.")


class ReportVatSerializer(serializers.Serializer):
    rate = serializers.DecimalField(max_digits=5, decimal_places=4)
    net = money_field(help_text="Taxable amount after discounts.")
    tax = money_field()
    gross = money_field(help_text="net + tax.")


class CashReportSerializer(serializers.Serializer):
    """The X report (an open session so far: z_number, closed_at, counted_cash and over_short
    null) and the Z report (as stored by the close, unchanged on every read)."""

    session_id = serializers.UUIDField()
    register_id = serializers.UUIDField()
    z_number = serializers.IntegerField(allow_null=True, help_text="Gap-free per register.")
    opened_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)
    opening_float = money_field()
    cash_sales = money_field(help_text="Cash kept of the session's sales (tendered − change).")
    cash_refunds = money_field(
        help_text="Cash paid back in the session: cash refunds plus the cash of orders "
        "cancelled in it."
    )
    paid_in = money_field()
    paid_out = money_field()
    account_payments_cash = money_field(help_text="Cash account payments taken in the session.")
    expected_cash = money_field(
        help_text="opening_float + cash_sales − cash_refunds + paid_in − paid_out + "
        "account_payments_cash."
    )
    counted_cash = money_field(allow_null=True)
    over_short = money_field(allow_null=True, help_text="counted_cash − expected_cash.")
    sales = ReportSalesSerializer(
        help_text="Orders sold in the session, cancelled ones included (their cancellation "
        "counts under cancellations of the session it happened in)."
    )
    refunds = ReportAmountSerializer(help_text="Refunds given in the session.")
    cancellations = ReportAmountSerializer(help_text="Orders cancelled in the session.")
    tenders = ReportTenderSerializer(many=True, help_text="Σ sales == sales.total.")
    vat = ReportVatSerializer(many=True, help_text="Per VAT rate; Σ gross == sales.total.")

from decimal import Decimal

from django.core.validators import RegexValidator
from rest_framework import serializers

from catalog.models import MANUAL_REASONS, Category, Product, StockMovement
from pospro.api.pagination import PageParamsSerializer
from pospro.api.schema import BlankableURLField
from pospro.limits import INT_MAX

_CODE_VALIDATOR = RegexValidator(r"^[^/\s]+$", "Must not contain spaces or slashes.")


def _money(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **kwargs)


def _count(**kwargs) -> serializers.IntegerField:
    """A stock count or level: a PostgreSQL `integer` that may not be negative."""
    return serializers.IntegerField(min_value=0, max_value=INT_MAX, **kwargs)


# --- Output -----------------------------------------------------------------------------------


class ProductSerializer(serializers.ModelSerializer):
    """A product with its stock at the context branch. `cost_price` is left out for cashiers
    (`show_cost=False` in the context).
    """

    category = serializers.CharField(source="category.name", allow_null=True, read_only=True)
    price = _money(read_only=True)
    # Not read-only on purpose: the schema then lists it as optional, which it is (cashiers).
    cost_price = _money(required=False, help_text="Omitted for cashiers.")
    stock = serializers.IntegerField(
        read_only=True,
        help_text=(
            "Quantity at the context branch: `?branch_id=`, else the caller's branch, else "
            "(admin without a branch) the sum over all branches."
        ),
    )
    image_url = BlankableURLField(read_only=True, help_text='"" when the product has no image.')
    updated_at = serializers.DateTimeField(
        source="changed_at",
        read_only=True,
        help_text="Last change of the product or of its stock at the context branch.",
    )

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "barcode",
            "sku",
            "category",
            "price",
            "cost_price",
            "stock",
            "critical_stock_level",
            "vat_rate",
            "image_url",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f != "cost_price"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.context.get("show_cost", True):
            self.fields.pop("cost_price")


class BranchStockSerializer(serializers.Serializer):
    branch_id = serializers.UUIDField()
    branch_code = serializers.CharField()
    stock = serializers.IntegerField()


class ProductDetailSerializer(ProductSerializer):
    stock_by_branch = BranchStockSerializer(
        many=True, read_only=True, help_text="Every active branch, plus any other holding stock."
    )

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "stock_by_branch"]
        read_only_fields = [*ProductSerializer.Meta.read_only_fields, "stock_by_branch"]


class LowStockItemSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="product_id", help_text="The product.")
    name = serializers.CharField()
    current_stock = serializers.IntegerField(source="quantity")
    critical_level = serializers.IntegerField(
        help_text="The `threshold` if one was given, else the product's own."
    )
    shortage = serializers.IntegerField(help_text="critical_level - current_stock.")


class LowStockSerializer(serializers.Serializer):
    total_low_stock = serializers.IntegerField()
    skip = serializers.IntegerField()
    limit = serializers.IntegerField()
    items = LowStockItemSerializer(many=True)


class StockMovementSerializer(serializers.ModelSerializer):
    branch_id = serializers.UUIDField(read_only=True)
    user_id = serializers.UUIDField(read_only=True, allow_null=True)

    class Meta:
        model = StockMovement
        fields = [
            "id",
            "branch_id",
            "quantity",
            "balance_after",
            "reason",
            "note",
            "order_id",
            "user_id",
            "created_at",
        ]
        read_only_fields = fields


class StockAdjustmentSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="product_id", help_text="The product.")
    branch_id = serializers.UUIDField()
    old_stock = serializers.IntegerField()
    new_stock = serializers.IntegerField()
    movement_id = serializers.UUIDField(
        allow_null=True, help_text="null when a count equal to the current stock changed nothing."
    )
    updated_at = serializers.DateTimeField()


class StockTransferSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    from_branch_id = serializers.UUIDField()
    to_branch_id = serializers.UUIDField()
    quantity = serializers.IntegerField()
    note = serializers.CharField()
    movements = StockMovementSerializer(many=True, help_text="`transfer_out`, then `transfer_in`.")


class CategorySerializer(serializers.ModelSerializer):
    product_count = serializers.IntegerField(
        read_only=True, help_text="Active products in the category."
    )

    class Meta:
        model = Category
        fields = ["id", "name", "product_count"]
        read_only_fields = fields


# --- Input ------------------------------------------------------------------------------------


class ProductInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    barcode = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[_CODE_VALIDATOR],
        help_text="Unique when present; blank or null means none.",
    )
    sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_null=True,
        allow_blank=True,
        validators=[_CODE_VALIDATOR],
        help_text="Unique when present; blank or null means none.",
    )
    category = serializers.CharField(
        max_length=120,
        required=False,
        allow_null=True,
        allow_blank=True,
        help_text="Category name (case-insensitive); an unknown name creates the category.",
    )
    price = _money(min_value=Decimal("0"))
    cost_price = _money(min_value=Decimal("0"), required=False)
    vat_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=4,
        min_value=Decimal("0"),
        max_value=Decimal("0.9999"),
        error_messages={"max_value": "Must be less than 1: a fraction (0.18 means 18 percent)."},
        required=False,
        help_text="A fraction: 0 <= rate < 1, at most 4 decimals (0.18).",
    )
    critical_stock_level = _count(required=False)
    image_url = BlankableURLField(
        max_length=500, required=False, allow_blank=True, help_text='"" for no image.'
    )
    is_active = serializers.BooleanField(required=False)


class ProductCreateInputSerializer(ProductInputSerializer):
    stock = _count(required=False, help_text="Initial stock, recorded as an `initial` movement.")
    branch_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="Where the initial stock goes; default the caller's branch.",
    )


class ProductUpdateInputSerializer(ProductInputSerializer):
    stock = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=-INT_MAX,
        max_value=INT_MAX,
        help_text=(
            "Read-only: the current stock at the context branch is accepted and ignored, "
            "another value is refused (use PATCH /products/{id}/stock)."
        ),
    )


class StockAdjustInputSerializer(serializers.Serializer):
    quantity = serializers.IntegerField(
        required=False,
        min_value=-INT_MAX,
        max_value=INT_MAX,
        help_text=(
            "Signed change, not 0. Send this or `new_stock`. The resulting stock may not exceed "
            f"{INT_MAX}."
        ),
    )
    new_stock = _count(required=False, help_text="Absolute count. Send this or `quantity`.")
    reason = serializers.ChoiceField(choices=[(r.value, r.label) for r in MANUAL_REASONS])
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")
    branch_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="Default: the caller's branch."
    )

    def validate_quantity(self, value: int) -> int:
        if value == 0:
            raise serializers.ValidationError("Must not be 0.")
        return value

    def validate(self, attrs):
        if ("quantity" in attrs) == ("new_stock" in attrs):
            raise serializers.ValidationError("Send exactly one of quantity or new_stock.")
        return attrs


class StockTransferInputSerializer(serializers.Serializer):
    product_id = serializers.UUIDField()
    from_branch_id = serializers.UUIDField()
    to_branch_id = serializers.UUIDField()
    quantity = serializers.IntegerField(min_value=1, max_value=INT_MAX)
    note = serializers.CharField(required=False, allow_blank=True, max_length=1000, default="")


class LowStockParamsSerializer(PageParamsSerializer):
    threshold = _count(
        required=False,
        help_text="List stock <= this; default each product's critical_stock_level.",
    )


class CategoryInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)

"""Categories, products, per-branch stock levels and the append-only stock ledger."""

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Upper

from accounts.models import Branch


class Category(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(Lower("name"), name="catalog_category_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A sellable item. Prices exclude VAT unless POSPRO_PRICES_INCLUDE_VAT is set.

    Never deleted: deactivation keeps order history and reports intact.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    barcode = models.CharField(max_length=64, null=True, blank=True, unique=True)
    sku = models.CharField(max_length=64, null=True, blank=True, unique=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    price = models.DecimalField(max_digits=12, decimal_places=2)
    cost_price = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=4, default=0)
    critical_stock_level = models.PositiveIntegerField(default=0)
    image_url = models.URLField(max_length=500, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="catalog_product_price_gte_0"),
            models.CheckConstraint(
                condition=Q(cost_price__gte=0), name="catalog_product_cost_price_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(vat_rate__gte=0) & Q(vat_rate__lt=1), name="catalog_product_vat_rate"
            ),
            models.CheckConstraint(
                condition=~Q(barcode=""), name="catalog_product_barcode_not_empty"
            ),
            models.CheckConstraint(condition=~Q(sku=""), name="catalog_product_sku_not_empty"),
        ]
        indexes = [
            # The list's default order, with `id` so a deep page (skip=99000) is an index-only
            # scan of ids (catalog.api.views.ProductPagination).
            models.Index(fields=["is_active", "name", "id"], name="catalog_product_active_name_id"),
            # A sync's order (`updated_since`, `after_id`): the page seeks to the cursor, and its
            # total counts the products changed since then index-only (catalog.selectors).
            models.Index(fields=["updated_at", "id"], name="catalog_product_updated_at_id"),
            models.Index(fields=["created_at"], name="catalog_product_created_at"),
            models.Index(fields=["price"], name="catalog_product_price"),
            # `search` is icontains, which PostgreSQL runs as UPPER(column) LIKE UPPER('%...%'):
            # trigram indexes on those expressions find matches without scanning every row.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="catalog_product_name_trgm"),
            GinIndex(
                OpClass(Upper("barcode"), name="gin_trgm_ops"), name="catalog_product_barcode_trgm"
            ),
            GinIndex(OpClass(Upper("sku"), name="gin_trgm_ops"), name="catalog_product_sku_trgm"),
        ]

    def __str__(self) -> str:
        return self.name


class StockLevel(models.Model):
    """Quantity of one product at one branch. Changed only by catalog.services, with a movement.

    `allow_negative` records that the row was written under POSPRO_ALLOW_NEGATIVE_STOCK; without
    it the database itself refuses a negative quantity (the backstop, not the mechanism).

    Every sale updates the rows of what it sold, so no index may cover `quantity` or
    `updated_at`, and the table keeps free space in its pages (fillfactor 70, migration 0003):
    then PostgreSQL updates a row in place (a HOT update) instead of adding an entry to each of
    its indexes for every sale. With an index on (branch, quantity) a best seller's row grew a
    chain of dead index entries that each next sale's unique check walked: the raw-SQL sale's
    database CPU went from 5 ms to 20 ms within a few hundred sales (bench/README.md).
    """

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="stock_levels")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="stock_levels")
    quantity = models.IntegerField(default=0)
    allow_negative = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["product", "branch"], name="catalog_stocklevel_product_branch"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=0) | Q(allow_negative=True),
                name="catalog_stocklevel_quantity_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product.name} @ {self.branch.code}: {self.quantity}"


class MovementReason(models.TextChoices):
    INITIAL = "initial", "Initial stock"
    STOCK_PURCHASE = "stock_purchase", "Stock purchase"
    RETURN = "return", "Return"
    ADJUSTMENT = "adjustment", "Adjustment"
    DAMAGE = "damage", "Damage"
    LOSS = "loss", "Loss"
    STOCK_COUNT = "stock_count", "Stock count"
    TRANSFER_OUT = "transfer_out", "Transfer out"
    TRANSFER_IN = "transfer_in", "Transfer in"
    SALE = "sale", "Sale"
    CANCELLATION = "cancellation", "Order cancelled"


#: Reasons a person may give through PATCH /products/{id}/stock.
MANUAL_REASONS = (
    MovementReason.STOCK_PURCHASE,
    MovementReason.RETURN,
    MovementReason.ADJUSTMENT,
    MovementReason.DAMAGE,
    MovementReason.LOSS,
    MovementReason.STOCK_COUNT,
)


class StockMovement(models.Model):
    """One row of the append-only stock ledger: for every (product, branch),
    stock level == sum of quantities. Written in the same transaction as the level it explains.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="movements")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="movements")
    quantity = models.IntegerField(help_text="Signed change: + in, - out.")
    balance_after = models.IntegerField()
    reason = models.CharField(max_length=20, choices=MovementReason.choices)
    note = models.TextField(blank=True, default="")
    # A plain UUID, not a foreign key: catalog never imports sales (sales depends on catalog).
    order_id = models.UUIDField(null=True, blank=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stock_movements",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(quantity=0), name="catalog_stockmovement_quantity_not_0"
            ),
            models.CheckConstraint(
                condition=Q(reason__in=MovementReason.values),
                name="catalog_stockmovement_reason_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["product", "-created_at"], name="catalog_move_prod_time"),
            models.Index(fields=["product", "branch"], name="catalog_move_prod_branch"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.quantity:+d} {self.product.name} @ {self.branch.code}"

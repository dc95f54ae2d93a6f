"""Catalog reads: products with their stock at a context branch, low stock, the ledger.

"Context branch" (contract, Products): `?branch_id=` if given, else the caller's branch, else
(an admin without one) every branch summed. At a named branch stock and the last-change time
come from a join on that branch's level row; summed over every branch they are correlated
subqueries. Either way a page of products is one query whatever its size.
"""

from uuid import UUID

from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, Lower

from accounts.models import Branch
from accounts.scoping import parse_uuid
from catalog.models import Category, Product, StockLevel, StockMovement
from pospro.exceptions import NotFound


def context_branch_id(user, branch_id) -> UUID | None:
    """The branch whose stock a product read shows; None means the sum over every branch.

    Stock is visible chain-wide (the detail lists every branch), so any role may name any
    existing branch; only stock *changes* are limited to one's own branch.
    """
    if branch_id not in (None, ""):
        branch_uuid = parse_uuid(branch_id, field="branch_id")
        if not Branch.objects.filter(pk=branch_uuid).exists():
            raise NotFound("Branch not found.")
        return branch_uuid
    return user.branch_id


def products_with_stock(*, branch_id: UUID | None) -> QuerySet[Product]:
    """Products annotated with `stock` at the context branch and `changed_at`.

    `changed_at` is the later of the product's own `updated_at` and its stock level's at the
    context branch: the product as a till sees it changed then (the API's `updated_at`), so an
    incremental sync (`updated_since`) also picks up new stock.
    """
    products = Product.objects.select_related("category")
    if branch_id is not None:
        # One level row per (product, branch): a join, not a correlated subquery per row.
        return products.annotate(
            level=FilteredRelation("stock_levels", condition=Q(stock_levels__branch_id=branch_id)),
            stock=Coalesce(F("level__quantity"), 0),
            changed_at=Greatest(F("updated_at"), Coalesce(F("level__updated_at"), F("updated_at"))),
        )
    levels = StockLevel.objects.filter(product=OuterRef("pk")).order_by().values("product")
    total = levels.annotate(total=Sum("quantity")).values("total")
    last = levels.annotate(last=Max("updated_at")).values("last")
    return products.annotate(
        stock=Coalesce(Subquery(total, output_field=IntegerField()), 0),
        changed_at=Greatest(
            F("updated_at"),
            Coalesce(Subquery(last, output_field=DateTimeField()), F("updated_at")),
        ),
    )


def product_stock(*, product_id: UUID, branch_id: UUID | None) -> int:
    """Current stock of one product at the context branch (sum over branches for None)."""
    levels = StockLevel.objects.filter(product_id=product_id)
    if branch_id is not None:
        levels = levels.filter(branch_id=branch_id)
    return levels.aggregate(total=Coalesce(Sum("quantity"), 0))["total"]


def stock_updated_at(*, product_id: UUID, branch_id: UUID):
    """When the (product, branch) stock level last changed; None if it never existed."""
    return (
        StockLevel.objects.filter(product_id=product_id, branch_id=branch_id)
        .values_list("updated_at", flat=True)
        .first()
    )


def product_stock_by_branch(*, product_id: UUID) -> QuerySet:
    """`{branch_id, branch_code, stock}` for every active branch, plus any other holding a row."""
    level = StockLevel.objects.filter(product_id=product_id, branch=OuterRef("pk"))
    return (
        Branch.objects.filter(Q(is_active=True) | Exists(level))
        .order_by("code", "id")
        .values(
            branch_id=F("id"),
            branch_code=F("code"),
            stock=Coalesce(Subquery(level.values("quantity")[:1]), Value(0)),
        )
    )


def low_stock_levels(*, branch_id: UUID | None, threshold: int | None = None) -> QuerySet:
    """Stock rows of active products at or below `threshold` (else the product's own critical
    level), most short first; the one definition of low stock (API, dashboard, metrics gauge).

    Only rows count: a branch that never stocked a product does not list it, so a 100,000-product
    catalog does not report every product a small branch never carried. Without a branch every
    branch's rows count, each on its own. Each row carries `name`, `critical_level` (the bound
    used) and `shortage` = critical_level - quantity.
    """
    levels = StockLevel.objects.filter(product__is_active=True)
    if branch_id is not None:
        levels = levels.filter(branch_id=branch_id)
    bound = Value(threshold) if threshold is not None else F("product__critical_stock_level")
    return (
        levels.annotate(
            name=F("product__name"),
            critical_level=bound,
            shortage=F("critical_level") - F("quantity"),
        )
        .filter(quantity__lte=F("critical_level"))
        .order_by("-shortage", "name", "product_id", "branch_id")
    )


def product_movements(*, product_id: UUID, branch_id: UUID | None) -> QuerySet[StockMovement]:
    """The product's ledger, newest first; one branch's rows, or every branch's for None."""
    movements = StockMovement.objects.filter(product_id=product_id)
    if branch_id is not None:
        movements = movements.filter(branch_id=branch_id)
    return movements.order_by("-created_at", "-id")


def category_list() -> QuerySet[Category]:
    """Categories with `product_count`: active products only, what a till would list."""
    return Category.objects.annotate(
        product_count=Count("products", filter=Q(products__is_active=True))
    ).order_by(Lower("name"), "id")

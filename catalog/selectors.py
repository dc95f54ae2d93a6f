"""Catalog reads: products with their stock at a context branch, low stock, the ledger.

"Context branch" (contract, Products): `?branch_id=` if given, else the caller's branch, else
(an admin without one) every branch summed. At a named branch stock and the last-change time
come from a join on that branch's level row; summed over every branch they are correlated
subqueries. Either way a page of products is one query whatever its size.
"""

from datetime import datetime
from uuid import UUID

from django.db.models import (
    Case,
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
    When,
    Window,
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

    Each row reads its product by primary key (correlated subqueries) instead of joining: the
    cost then follows the stock rows, a few thousand, where a join let PostgreSQL's default
    costs hash the whole 100,000-product table (bench/README.md: 4,377 rows, 2,058 buffers).
    An inactive product's subquery is NULL, and a NULL bound lists nothing.
    """
    levels = StockLevel.objects.all()
    if branch_id is not None:
        levels = levels.filter(branch_id=branch_id)
    product = Product.objects.filter(pk=OuterRef("product_id"), is_active=True).order_by()
    active_level = Subquery(product.values("critical_stock_level")[:1])
    if threshold is not None:
        # The plain bound goes first, so only the rows under it read their product.
        levels = levels.filter(quantity__lte=threshold)
        bound = Case(When(Exists(product), then=Value(threshold)), default=None)
    else:
        bound = active_level
    return (
        levels.annotate(critical_level=bound)
        .filter(quantity__lte=F("critical_level"))
        .annotate(
            name=Subquery(product.values("name")[:1]),
            shortage=F("critical_level") - F("quantity"),
        )
        .order_by("-shortage", "name", "product_id", "branch_id")
    )


def low_stock_page(levels: QuerySet, *, skip: int, limit: int) -> tuple[int, list]:
    """One page of `low_stock_levels` and their count, in one query when the page has rows:
    the count rides on the page as a window over every matching row (the filter runs once)."""
    rows = list(levels.annotate(total=Window(Count("*")))[skip : skip + limit])
    if rows:
        return rows[0].total, rows
    return (levels.count() if skip else 0), rows


def _after(time_field: str, id_field: str, since: datetime, after_id: UUID | None) -> Q:
    """(time, id) past the cursor (since, after_id): later, or at `since` with a greater id."""
    if after_id is None:
        return Q(**{f"{time_field}__gt": since})
    # The first term alone is what an index on (time, id) can seek to.
    return Q(**{f"{time_field}__gte": since}) & (
        Q(**{f"{time_field}__gt": since}) | Q(**{f"{id_field}__gt": after_id})
    )


def _not_after(time_field: str, id_field: str, since: datetime, after_id: UUID | None) -> Q:
    if after_id is None:
        return Q(**{f"{time_field}__lte": since})
    return Q(**{f"{time_field}__lt": since}) | Q(
        **{time_field: since, f"{id_field}__lte": after_id}
    )


def product_sync_page(
    products: QuerySet[Product],
    *,
    branch_id: UUID | None,
    since: datetime,
    after_id: UUID | None,
    skip: int,
    limit: int,
) -> tuple[int, list[UUID]]:
    """The total and the page's ids of a sync: `products` (already filtered otherwise) whose
    `changed_at` (see products_with_stock) is past the cursor (since, after_id), ordered by
    (changed_at, id).

    `changed_at` is the later of two times in two tables, so no index orders it; this splits
    the rows by which time wins. A product's own time wins for most rows: those come in the
    order of the (updated_at, id) index, each checking its stock row by key. Where the stock
    row's time wins, the stock rows lead (a branch carries a few thousand of them), each
    reading its product by primary key. Each part is read only as far as the page, and the
    page is the first rows of the two merged, so every page of a sync costs about the same.

    The total is split the other way, which needs no join for the large part: every product
    whose own time is past the cursor counts (an index-only count), plus those whose own time
    is not but whose stock time is.
    """
    stock_rows = StockLevel.objects.order_by()
    if branch_id is not None:
        stock_rows = stock_rows.filter(branch_id=branch_id)
        own_wins = Q(level__updated_at__isnull=True) | Q(level__updated_at__lte=F("updated_at"))
    else:
        # Summed over every branch the stock time is the latest row's: a product's other rows
        # are not its stock time, so each product is represented by its latest row only.
        later = StockLevel.objects.filter(product_id=OuterRef("product_id")).filter(
            Q(updated_at__gt=OuterRef("updated_at"))
            | Q(updated_at=OuterRef("updated_at"), branch_id__gt=OuterRef("branch_id"))
        )
        stock_rows = stock_rows.filter(~Exists(later))
        own_wins = ~Exists(
            StockLevel.objects.filter(
                product_id=OuterRef("pk"), updated_at__gt=OuterRef("updated_at")
            )
        )
    own_time = Subquery(
        products.order_by().filter(pk=OuterRef("product_id")).values("updated_at")[:1]
    )
    stock_rows = stock_rows.filter(_after("updated_at", "product_id", since, after_id)).annotate(
        own_time=own_time
    )

    total = (
        products.order_by().filter(_after("updated_at", "pk", since, after_id)).count()
        + stock_rows.filter(_not_after("own_time", "product_id", since, after_id)).count()
    )
    end = skip + limit
    own_first = (
        products.filter(_after("updated_at", "pk", since, after_id))
        .filter(own_wins)
        .order_by("updated_at", "pk")
        .values_list("updated_at", "pk")[:end]
    )
    stock_first = (
        stock_rows.filter(updated_at__gt=F("own_time"))
        .order_by("updated_at", "product_id")
        .values_list("updated_at", "product_id")[:end]
    )
    merged = sorted([*own_first, *stock_first])
    return total, [pk for _, pk in merged[skip:end]]


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

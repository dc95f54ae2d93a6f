"""Every stock change in PosPro goes through this module.

The rule: lock the stock rows a change touches in one query, in a fixed order, check, write the
new levels with F() and the ledger rows beside them, all in one transaction. So stock == sum of
movements always holds, concurrent changes never lose an update, and two transactions touching
the same rows cannot deadlock (they take the locks in the same order).

Sales call `stock_apply` (reason `sale`, `return`, `cancellation`); people call `stock_adjust`
and `stock_transfer`; product creation calls `stock_apply` with reason `initial`.

The product and category writes live here too (the API, the admin and `import_products` call
them); each one bumps the cache versions when its transaction commits.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import Branch
from accounts.scoping import branch_for_write
from catalog.cache import invalidate_on_commit
from catalog.exceptions import InsufficientStock
from catalog.models import Category, MovementReason, Product, StockLevel, StockMovement
from catalog.selectors import product_stock
from pospro.exceptions import Conflict, ValidationFailed, field_error
from pospro.limits import INT_MAX, INT_MIN


@dataclass(frozen=True)
class StockChange:
    product_id: UUID
    branch_id: UUID
    quantity: int
    #: Where a shortage is reported in problem details, e.g. "items[0].quantity".
    field: str = "quantity"


@dataclass(frozen=True)
class StockAdjustment:
    product_id: UUID
    branch_id: UUID
    old_stock: int
    new_stock: int
    movement: StockMovement | None


def _lock_levels(keys: list[tuple[UUID, UUID]]) -> dict[tuple[UUID, UUID], StockLevel]:
    """Lock the level rows of `keys` in primary-key order, creating missing ones first.

    Existing rows (the usual case) cost one query. Missing rows are inserted in (product,
    branch) order and then locked, so two transactions meeting on new rows cannot deadlock.
    """
    ordered = sorted(set(keys))

    def select(pairs) -> dict[tuple[UUID, UUID], StockLevel]:
        condition = Q()
        for product_id, branch_id in pairs:
            condition |= Q(product_id=product_id, branch_id=branch_id)
        rows = StockLevel.objects.select_for_update(of=("self",)).filter(condition).order_by("pk")
        return {(row.product_id, row.branch_id): row for row in rows}

    levels = select(ordered)
    missing = [key for key in ordered if key not in levels]
    if missing:
        StockLevel.objects.bulk_create(
            [StockLevel(product_id=p, branch_id=b, quantity=0) for p, b in missing],
            ignore_conflicts=True,
        )
        levels.update(select(missing))
    return levels


def stock_apply(
    *,
    changes: list[StockChange],
    reason: str,
    user=None,
    order_id: UUID | None = None,
    note: str = "",
    allow_negative: bool | None = None,
    savepoint: bool = True,
) -> list[StockMovement]:
    """Apply signed changes atomically; one ledger row per change, in the order given.

    Any (product, branch) that would end below zero refuses the whole call with
    InsufficientStock listing every short change; nothing is written then. A caller that is
    itself one transaction (an order) passes `savepoint=False`: a failure here then fails the
    caller's whole transaction, and the savepoint's two round trips are saved.
    """
    with transaction.atomic(savepoint=savepoint):
        return _apply(
            changes=changes,
            reason=reason,
            user=user,
            order_id=order_id,
            note=note,
            allow_negative=allow_negative,
        )


def _apply(*, changes, reason, user, order_id, note, allow_negative) -> list[StockMovement]:
    if reason not in MovementReason.values:
        raise ValueError(f"unknown stock movement reason {reason!r}")
    changes = [change for change in changes if change.quantity != 0]
    if not changes:
        return []
    if allow_negative is None:
        allow_negative = settings.POSPRO_ALLOW_NEGATIVE_STOCK

    keys = [(change.product_id, change.branch_id) for change in changes]
    levels = _lock_levels(keys)
    delta: dict[tuple[UUID, UUID], int] = defaultdict(int)
    for change in changes:
        delta[(change.product_id, change.branch_id)] += change.quantity

    short = {key for key, total in delta.items() if levels[key].quantity + total < 0}
    if short and not allow_negative:
        errors = [
            {
                "field": change.field,
                "code": "insufficient_stock",
                "message": (f"Requested {-change.quantity}, available {levels[key].quantity}."),
                "product_id": str(change.product_id),
                "branch_id": str(change.branch_id),
                "requested": -change.quantity,
                "available": levels[key].quantity,
            }
            for change in changes
            if (key := (change.product_id, change.branch_id)) in short and change.quantity < 0
        ]
        count = len(errors)
        raise InsufficientStock(
            f"Not enough stock for {count} item{'s' if count != 1 else ''}.", errors=errors
        )
    out_of_range = {
        key
        for key, total in delta.items()
        if not INT_MIN <= levels[key].quantity + total <= INT_MAX
    }
    if out_of_range:  # the column is a PostgreSQL integer: past it the level would wrap or fail
        raise ValidationFailed.of(
            [
                field_error(
                    change.field,
                    "out_of_range",
                    f"The stock would be {levels[key].quantity + delta[key]}, outside the "
                    f"range of a stock level ({INT_MIN}..{INT_MAX}).",
                )
                for change in changes
                if (key := (change.product_id, change.branch_id)) in out_of_range
            ]
        )

    # One UPDATE for every row, relative to the locked value, whatever the line count.
    rows = {levels[key].pk: total for key, total in delta.items()}
    updates = {
        "quantity": F("quantity")
        + Case(*(When(pk=pk, then=Value(total)) for pk, total in rows.items())),
        "updated_at": timezone.now(),
    }
    if any(levels[key].quantity + total < 0 for key, total in delta.items()):
        updates["allow_negative"] = True
    StockLevel.objects.filter(pk__in=rows).update(**updates)

    balance = {key: level.quantity for key, level in levels.items()}
    movements = []
    for change in changes:
        key = (change.product_id, change.branch_id)
        balance[key] += change.quantity
        movements.append(
            StockMovement(
                product_id=change.product_id,
                branch_id=change.branch_id,
                quantity=change.quantity,
                balance_after=balance[key],
                reason=reason,
                note=note,
                order_id=order_id,
                user=user,
            )
        )
    StockMovement.objects.bulk_create(movements)
    invalidate_on_commit(product_id for product_id, _ in keys)
    return movements


def _reason_error(reason: str) -> ValidationFailed:
    allowed = ", ".join(MovementReason.values)
    return ValidationFailed.field(
        "reason", "invalid_choice", f"Unknown reason {reason!r}; one of: {allowed}."
    )


@transaction.atomic
def stock_adjust(
    *,
    product_id: UUID,
    branch: Branch,
    user,
    reason: str,
    quantity: int | None = None,
    new_stock: int | None = None,
    note: str = "",
) -> StockAdjustment:
    """A person's stock change: a signed delta (`quantity`) or an absolute count (`new_stock`).

    A count equal to the current stock changes nothing and writes no movement.
    """
    if reason not in MovementReason.values:
        raise _reason_error(reason)
    if (quantity is None) == (new_stock is None):
        raise ValidationFailed.field(
            None,
            "invalid",
            "Send exactly one of quantity (a signed change) or new_stock (a count).",
        )
    if quantity == 0:
        raise ValidationFailed.field("quantity", "invalid", "Must not be 0.")
    if quantity is not None:
        movements = stock_apply(
            changes=[StockChange(product_id, branch.pk, quantity)],
            reason=reason,
            user=user,
            note=note,
        )
        movement = movements[0]
        return StockAdjustment(
            product_id,
            branch.pk,
            movement.balance_after - quantity,
            movement.balance_after,
            movement,
        )

    level = _lock_levels([(product_id, branch.pk)])[(product_id, branch.pk)]
    old = level.quantity
    if new_stock == old:
        return StockAdjustment(product_id, branch.pk, old, old, None)
    movements = stock_apply(
        changes=[StockChange(product_id, branch.pk, new_stock - old, field="new_stock")],
        reason=reason,
        user=user,
        note=note,
    )
    return StockAdjustment(product_id, branch.pk, old, new_stock, movements[0])


@transaction.atomic
def stock_transfer(
    *,
    product_id: UUID,
    from_branch: Branch,
    to_branch: Branch,
    quantity: int,
    user,
    note: str = "",
) -> list[StockMovement]:
    """Move stock between branches: `transfer_out` and `transfer_in` in one transaction."""
    if from_branch.pk == to_branch.pk:
        raise ValidationFailed.field("to_branch_id", "invalid", "Must differ from from_branch_id.")
    if quantity <= 0:
        raise ValidationFailed.field("quantity", "min_value", "Must be at least 1.")
    # Both rows locked up front, in the fixed order: A->B and B->A at once cannot deadlock.
    _lock_levels([(product_id, from_branch.pk), (product_id, to_branch.pk)])
    out = stock_apply(
        changes=[StockChange(product_id, from_branch.pk, -quantity, field="quantity")],
        reason=MovementReason.TRANSFER_OUT,
        user=user,
        note=note,
        allow_negative=False,
    )
    into = stock_apply(
        changes=[StockChange(product_id, to_branch.pk, quantity)],
        reason=MovementReason.TRANSFER_IN,
        user=user,
        note=note,
    )
    return out + into


# --- Products and categories ---------------------------------------------------------------------


def _blank_to_none(value: str | None) -> str | None:
    """Barcode and SKU are unique when present: an empty one is stored as NULL, never ""."""
    if value is None:
        return None
    return value.strip() or None


def _category_by_name(name: str | None) -> Category | None:
    """The category with this name (case-insensitive); an unknown name creates it."""
    name = (name or "").strip()
    if not name:
        return None
    category = Category.objects.filter(name__iexact=name).first()
    if category is not None:
        return category
    try:
        with transaction.atomic():
            return Category.objects.create(name=name)
    except IntegrityError:  # created by a concurrent request since the lookup
        return Category.objects.get(name__iexact=name)


def _check_unique_codes(product: Product) -> None:
    """400 naming every field (barcode, sku) another product already uses. One query."""
    codes = {f: getattr(product, f) for f in ("barcode", "sku") if getattr(product, f)}
    if not codes:
        return
    condition = Q()
    for field, value in codes.items():
        condition |= Q(**{field: value})
    taken = Product.objects.filter(condition).exclude(pk=product.pk).values_list("barcode", "sku")
    errors = [
        {
            "field": field,
            "code": "unique",
            "message": f"A product with this {field} already exists.",
        }
        for field, value in codes.items()
        if any(row[0 if field == "barcode" else 1] == value for row in taken)
    ]
    if errors:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise ValidationFailed(detail, errors=errors)


def _save_product(product: Product, *, check_codes: bool = True, **kwargs) -> None:
    if check_codes:
        _check_unique_codes(product)
    try:
        with transaction.atomic():
            product.save(**kwargs)
    except IntegrityError:
        _check_unique_codes(product)  # a concurrent write took the barcode or sku: say which
        raise


@transaction.atomic
def product_create(
    *,
    user,
    name: str,
    price: Decimal,
    category: str | None = None,
    barcode: str | None = None,
    sku: str | None = None,
    cost_price: Decimal = Decimal("0.00"),
    vat_rate: Decimal = Decimal("0"),
    critical_stock_level: int = 0,
    image_url: str = "",
    is_active: bool = True,
    stock: int | None = None,
    branch_id=None,
) -> Product:
    """Create a product; an initial `stock` lands at the caller's branch (or `branch_id`) as
    an `initial` movement, so the ledger explains it like any other stock.
    """
    if stock is not None and stock < 0:
        raise ValidationFailed.field("stock", "min_value", "Must be at least 0.")
    branch = branch_for_write(user, branch_id) if stock else None
    product = Product(
        name=name,
        price=price,
        category=_category_by_name(category),
        barcode=_blank_to_none(barcode),
        sku=_blank_to_none(sku),
        cost_price=cost_price,
        vat_rate=vat_rate,
        critical_stock_level=critical_stock_level,
        image_url=image_url or "",
        is_active=is_active,
    )
    _save_product(product, force_insert=True)
    if branch is not None:
        stock_apply(
            changes=[StockChange(product.pk, branch.pk, stock, field="stock")],
            reason=MovementReason.INITIAL,
            user=user,
        )
    invalidate_on_commit([product.pk])
    return product


_UPDATABLE = (
    "name",
    "price",
    "barcode",
    "sku",
    "cost_price",
    "vat_rate",
    "critical_stock_level",
    "image_url",
    "is_active",
)


@transaction.atomic
def product_update(
    *, product: Product, context_branch_id: UUID | None, stock: int | None = None, **fields
) -> Product:
    """Change the given fields (PUT and PATCH alike: absent fields stay as they are).

    `stock` is read-only here: echoing the current stock at the context branch is harmless (a
    till sends back what it read), any other value is refused so nobody believes a stock change
    happened without a movement.
    """
    if stock is not None and stock != product_stock(
        product_id=product.pk, branch_id=context_branch_id
    ):
        raise ValidationFailed.field(
            "stock",
            "read_only",
            "Stock cannot be changed here; use PATCH /api/v1/products/{id}/stock.",
        )
    changed = []
    if "category" in fields:
        category = _category_by_name(fields.pop("category"))
        if category != product.category:
            product.category = category
            changed.append("category")
    for field in ("barcode", "sku"):
        if field in fields:
            fields[field] = _blank_to_none(fields[field])
    if "image_url" in fields:
        fields["image_url"] = fields["image_url"] or ""
    for field, value in fields.items():
        if field in _UPDATABLE and getattr(product, field) != value:
            setattr(product, field, value)
            changed.append(field)
    if changed:
        _save_product(
            product,
            check_codes=bool({"barcode", "sku"} & set(changed)),
            update_fields=[*changed, "updated_at"],
        )
        invalidate_on_commit([product.pk])
    return product


@transaction.atomic
def product_deactivate(*, product: Product) -> Product:
    """Soft delete: orders, the ledger and reports keep referring to the product."""
    if product.is_active:
        product.is_active = False
        product.save(update_fields=["is_active", "updated_at"])
        invalidate_on_commit([product.pk])
    return product


def _check_category_name(name: str, *, exclude_pk=None) -> str:
    name = name.strip()
    if not name:
        raise ValidationFailed.field("name", "blank", "This field may not be blank.")
    if Category.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists():
        raise ValidationFailed.field("name", "unique", "A category with this name already exists.")
    return name


@transaction.atomic
def category_create(*, name: str) -> Category:
    category = Category(name=_check_category_name(name))
    try:
        with transaction.atomic():
            category.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationFailed.field(
            "name", "unique", "A category with this name already exists."
        ) from exc
    invalidate_on_commit()
    return category


@transaction.atomic
def category_update(*, category: Category, name: str | None = None) -> Category:
    """A rename changes every product's `category`: their `updated_at` moves too, so tills
    syncing with `updated_since` pick the new name up, and their cached reads are dropped.
    """
    if name is None or name.strip() == category.name:
        return category
    category.name = _check_category_name(name, exclude_pk=category.pk)
    try:
        with transaction.atomic():
            category.save(update_fields=["name"])
    except IntegrityError as exc:
        raise ValidationFailed.field(
            "name", "unique", "A category with this name already exists."
        ) from exc
    products = Product.objects.filter(category=category)
    product_ids = list(products.values_list("pk", flat=True))
    products.update(updated_at=timezone.now())
    invalidate_on_commit(product_ids)
    return category


@transaction.atomic
def category_delete(*, category: Category) -> None:
    """Refused (409) while any product, deactivated ones included, is in the category."""
    count = Product.objects.filter(category=category).count()
    if count:
        raise Conflict(
            f"The category still has {count} product{'s' if count != 1 else ''} "
            "(deactivated ones included); move them to another category first."
        )
    category.delete()
    invalidate_on_commit()

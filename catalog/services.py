"""Every stock change in PosPro goes through this module.

The rule: lock the stock rows a change touches in one query, in a fixed order, check, write the
new levels with F() and the ledger rows beside them, all in one transaction. So stock == sum of
movements always holds, concurrent changes never lose an update, and two transactions touching
the same rows cannot deadlock (they take the locks in the same order).

Sales call `stock_apply` (reason `sale`, `return`, `cancellation`); people call `stock_adjust`
and `stock_transfer`; product creation calls `stock_apply` with reason `initial`.
"""

from collections import defaultdict
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from accounts.models import Branch
from catalog.cache import invalidate_on_commit
from catalog.exceptions import InsufficientStock
from catalog.models import MovementReason, StockLevel, StockMovement
from pospro.exceptions import ValidationFailed


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
    """Lock the level rows of `keys` in (product, branch) order, creating missing ones.

    Existing rows (the usual case) cost one query. Missing rows are inserted in the same order
    and then locked, so two transactions meeting on new rows cannot deadlock either.
    """
    ordered = sorted(set(keys))

    def select(pairs):
        condition = Q()
        for product_id, branch_id in pairs:
            condition |= Q(product_id=product_id, branch_id=branch_id)
        rows = (
            StockLevel.objects.select_for_update()
            .filter(condition)
            .order_by("product_id", "branch_id")
            .only("id", "product_id", "branch_id", "quantity", "allow_negative")
        )
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

    # One UPDATE for every row, relative to the locked value (F), whatever the line count.
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
    return ValidationFailed(
        f"reason: unknown reason {reason!r}.",
        errors=[{"field": "reason", "code": "invalid_choice", "message": f"One of: {allowed}."}],
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
        raise ValidationFailed(
            "Send exactly one of quantity (a signed change) or new_stock (a count).",
            errors=[
                {
                    "field": None,
                    "code": "invalid",
                    "message": "Send exactly one of quantity or new_stock.",
                }
            ],
        )
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
        raise ValidationFailed(
            "to_branch_id: must differ from from_branch_id.",
            errors=[
                {"field": "to_branch_id", "code": "invalid", "message": "Must differ from source."}
            ],
        )
    if quantity <= 0:
        raise ValidationFailed(
            "quantity: must be a positive whole number.",
            errors=[{"field": "quantity", "code": "min_value", "message": "Must be at least 1."}],
        )
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

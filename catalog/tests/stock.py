"""Test helpers for putting stock on the shelf (through the service, so the ledger agrees)."""

from catalog.models import MovementReason, StockLevel, StockMovement
from catalog.services import StockChange, stock_apply


def give_stock(product, branch, quantity: int, reason: str = MovementReason.STOCK_PURCHASE):
    stock_apply(changes=[StockChange(product.pk, branch.pk, quantity)], reason=reason)


def level(product, branch) -> int:
    row = StockLevel.objects.filter(product=product, branch=branch).first()
    return row.quantity if row else 0


def ledger_sum(product, branch) -> int:
    return sum(
        StockMovement.objects.filter(product=product, branch=branch).values_list(
            "quantity", flat=True
        )
    )

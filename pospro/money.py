"""Money helpers: every amount is a Decimal, rounded only here, ROUND_HALF_UP to the cent."""

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def quantize(value: Decimal) -> Decimal:
    """Round to the cent, half up (the POS rule: 0.005 -> 0.01)."""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)

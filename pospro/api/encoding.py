"""JSON values exactly as DRF renders them here (COERCE_DECIMAL_TO_STRING=False), for the hot
paths that build their answers without serializers."""

from datetime import UTC, datetime
from decimal import Decimal

CENT = Decimal("0.01")
RATE = Decimal("0.0001")


def money(value: Decimal) -> float:
    """An amount: a JSON number with (at most) two decimals."""
    return float(value.quantize(CENT))


def rate(value: Decimal) -> float:
    """A VAT rate: a JSON number with (at most) four decimals."""
    return float(value.quantize(RATE))


def timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, as DRF's DateTimeField writes it."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text

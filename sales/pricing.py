"""The price engine: one pure function shared by `POST /orders` and `POST /orders/calculate`.

Per line: gross = unit_price x quantity; net = gross - line discount - its share of the order
discount (pro rata to the lines' amounts after their own discounts, the cents remainder on the
last line); tax = round(net x rate) with VAT-exclusive prices, or round(net - net / (1 + rate))
with VAT-inclusive prices. Every rounding is ROUND_HALF_UP to the cent, per line, so the order's
totals are exact sums of its lines.

Every amount an order stores is a DecimalField(12, 2): `price_order` refuses a cart whose line or
order amounts would not fit (400 `amount_too_large`, naming the limit) before anything is written.
"""

from dataclasses import dataclass
from decimal import Decimal

from pospro.exceptions import ValidationFailed, field_error
from pospro.limits import MAX_AMOUNT
from pospro.money import ZERO, quantize


@dataclass(frozen=True)
class LineInput:
    unit_price: Decimal
    quantity: int
    vat_rate: Decimal
    discount: Decimal = ZERO


@dataclass(frozen=True)
class PricedLine:
    unit_price: Decimal
    quantity: int
    vat_rate: Decimal
    gross: Decimal
    line_discount: Decimal
    order_discount_share: Decimal
    discount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class PricedOrder:
    lines: list[PricedLine]
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def allocate(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `amount` pro rata to `weights`, rounding each share half up and putting the cents
    remainder on the last line. Shares always sum to `amount`.

    Where rounding would push the last share outside 0..its weight (only possible with many
    tiny lines), the remainder cents go one by one to the lines with room instead, last first.
    """
    if not weights:
        return []
    total = sum(weights, ZERO)
    if amount == ZERO or total == ZERO:
        return [ZERO] * len(weights)
    shares = [quantize(amount * weight / total) for weight in weights[:-1]]
    shares.append(amount - sum(shares, ZERO))
    if ZERO <= shares[-1] <= weights[-1]:
        return shares
    # Rare fallback: floor-free exact fix-up, one cent at a time, never exceeding a weight.
    cent = Decimal("0.01")
    shares = [min(max(share, ZERO), weight) for share, weight in zip(shares, weights, strict=True)]
    diff = amount - sum(shares, ZERO)
    step = cent if diff > 0 else -cent
    index = len(shares) - 1
    while diff != ZERO:
        candidate = shares[index] + step
        if ZERO <= candidate <= weights[index]:
            shares[index] = candidate
            diff -= step
        else:
            index = (index - 1) % len(shares)
    return shares


def price_order(
    lines: list[LineInput], *, order_discount: Decimal = ZERO, prices_include_vat: bool = False
) -> PricedOrder:
    """Price a cart. Inputs are already validated (discounts within their amounts)."""
    gross = [quantize(line.unit_price * line.quantity) for line in lines]
    after_line_discount = [g - line.discount for g, line in zip(gross, lines, strict=True)]
    shares = allocate(order_discount, after_line_discount)
    priced = []
    for line, line_gross, base, share in zip(
        lines, gross, after_line_discount, shares, strict=True
    ):
        net = base - share
        if prices_include_vat:
            tax = quantize(net - net / (1 + line.vat_rate))
            total = net
        else:
            tax = quantize(net * line.vat_rate)
            total = net + tax
        priced.append(
            PricedLine(
                unit_price=line.unit_price,
                quantity=line.quantity,
                vat_rate=line.vat_rate,
                gross=line_gross,
                line_discount=line.discount,
                order_discount_share=share,
                discount=line.discount + share,
                net=net,
                tax=tax,
                total=total,
            )
        )
    subtotal = sum((p.gross for p in priced), ZERO)
    discount = sum((p.discount for p in priced), ZERO)
    tax = sum((p.tax for p in priced), ZERO)
    total = subtotal - discount + (ZERO if prices_include_vat else tax)
    order = PricedOrder(lines=priced, subtotal=subtotal, discount=discount, tax=tax, total=total)
    check_amounts(order)
    return order


def amount_too_large(field: str | None, what: str, amount: Decimal) -> dict:
    return field_error(
        field,
        "amount_too_large",
        f"{what} {amount} exceeds {MAX_AMOUNT}, the largest amount PosPro stores.",
    )


def check_amounts(order: PricedOrder) -> None:
    """Refuse an order any of whose stored amounts is past MAX_AMOUNT (DecimalField(12, 2)):
    each line's gross, discount, net, tax and total, then the order's sums."""
    errors = [
        amount_too_large(f"items[{index}]", "The line amount", amount)
        for index, line in enumerate(order.lines)
        if (amount := max(line.gross, line.discount, line.net, line.tax, line.total)) > MAX_AMOUNT
    ]
    if not errors:
        errors = [
            amount_too_large(None, f"The order {name}", amount)
            for name, amount in (
                ("subtotal", order.subtotal),
                ("discount", order.discount),
                ("tax", order.tax),
                ("total", order.total),
            )
            if amount > MAX_AMOUNT
        ]
    if errors:
        raise ValidationFailed.of(errors)


def refund_line(
    *,
    total: Decimal,
    tax: Decimal,
    sold: int,
    quantity: int,
    refunded: tuple[int, Decimal, Decimal] = (0, ZERO, ZERO),
) -> tuple[Decimal, Decimal]:
    """(amount, tax) given back for `quantity` of a sold line (`total`, `tax`, `sold` units) of
    which `refunded` (units, amount, tax) went back before: pro rata to quantity, half up; the
    refund that completes the line takes exactly what is left, so a line refunded in parts adds
    up to its total to the cent."""
    units, amount, refunded_tax = refunded
    if quantity == sold - units:
        return total - amount, tax - refunded_tax
    return quantize(total * quantity / sold), quantize(tax * quantity / sold)

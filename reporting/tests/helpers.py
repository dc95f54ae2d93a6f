"""Building sales at known business-local times, through the sales services."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from freezegun import freeze_time

from sales import services


def at(local_time: str) -> datetime:
    """'2026-02-10 23:59' in POSPRO_TIME_ZONE as an aware datetime."""
    naive = datetime.fromisoformat(local_time)
    return naive.replace(tzinfo=ZoneInfo(settings.POSPRO_TIME_ZONE))


def sell(when: str, actor, *lines, method: str = "cash", discount=None, branch=None):
    """lines: (product, quantity) or (product, quantity, line discount). Paid in full with
    `method` (cash overpays by 100 to leave change)."""
    items = [
        services.ItemRequest(
            product_id=line[0].pk,
            quantity=line[1],
            discount_amount=Decimal(line[2]) if len(line) > 2 else Decimal("0.00"),
        )
        for line in lines
    ]
    with freeze_time(at(when)):
        quote = services.order_quote(
            actor=actor,
            items=items,
            payments=[],
            branch_id=branch.pk if branch else None,
            discount_amount=Decimal(discount or "0.00"),
            payments_required=False,
        )
        tendered = quote.priced.total + (Decimal("100.00") if method == "cash" else 0)
        return services.order_create(
            actor=actor,
            items=items,
            payments=[services.PaymentRequest(method=method, amount=tendered)],
            branch_id=branch.pk if branch else None,
            discount_amount=Decimal(discount or "0.00"),
        )


def refund(when: str, actor, order, *lines, method=None):
    """lines: (line number, quantity)."""
    items = {item.line_no: item for item in order.items.all()}
    with freeze_time(at(when)):
        return services.order_refund(
            actor=actor,
            order_id=order.pk,
            items=[
                services.RefundLineRequest(order_item_id=items[no].pk, quantity=qty)
                for no, qty in lines
            ],
            reason="test",
            method=method,
        )


def cancel(when: str, actor, order):
    with freeze_time(at(when)):
        return services.order_cancel(actor=actor, order_id=order.pk, reason="test")

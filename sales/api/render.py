"""Orders rendered directly from their rows and prefetched lines (no serializer pass).

Same shape and encoding as OrderSerializer (the documented schema, which a test compares):
money as numbers with two decimals, rates with four, UTC times with a `Z`. POST /orders is the
busiest write (the serializer machinery cost about a millisecond of CPU per sale) and a page of
the orders list renders twenty orders with their lines, payments and refunds.
"""

from pospro.api.encoding import money as _money
from pospro.api.encoding import rate as _rate
from pospro.api.encoding import timestamp as _time


def refund_dict(refund) -> dict:
    return {
        "id": str(refund.id),
        "order_id": str(refund.order_id),
        "amount": _money(refund.amount),
        "tax_amount": _money(refund.tax_amount),
        "items": [
            {
                "id": str(item.id),
                "order_item_id": str(item.order_item_id),
                "quantity": item.quantity,
                "amount": _money(item.amount),
                "tax_amount": _money(item.tax_amount),
            }
            for item in refund._prefetched_objects_cache["items"]
        ],
        "method": refund.method,
        "reason": refund.reason,
        "created_at": _time(refund.created_at),
    }


def order_dict(order) -> dict:
    """An order whose items, payments and refunds (with their items) are prefetched."""
    cache = order._prefetched_objects_cache
    return {
        "id": str(order.id),
        "order_number": order.order_number,
        "branch_id": str(order.branch_id),
        "cashier_id": str(order.cashier_id),
        "customer_id": str(order.customer_id) if order.customer_id else None,
        "status": order.status,
        "subtotal": _money(order.subtotal),
        "discount_amount": _money(order.discount_amount),
        "tax_amount": _money(order.tax_amount),
        "total_amount": _money(order.total_amount),
        "paid_amount": _money(order.paid_amount),
        "change_due": _money(order.change_due),
        "notes": order.notes,
        "created_at": _time(order.created_at),
        "items": [
            {
                "id": str(item.id),
                "product_id": str(item.product_id),
                "name": item.name,
                "barcode": item.barcode,
                "quantity": item.quantity,
                "unit_price": _money(item.unit_price),
                "discount_amount": _money(item.discount_amount),
                "vat_rate": _rate(item.vat_rate),
                "tax_amount": _money(item.tax_amount),
                "line_total": _money(item.line_total),
            }
            for item in cache["items"]
        ],
        "payments": [
            {
                "id": str(payment.id),
                "method": payment.method,
                "amount": _money(payment.amount),
                "reference": payment.reference,
            }
            for payment in cache["payments"]
        ],
        "refunds": [refund_dict(refund) for refund in cache["refunds"]],
    }

"""Building order requests in tests."""

from decimal import Decimal

from catalog.tests.factories import ProductFactory
from catalog.tests.stock import give_stock


def stocked_product(branch, stock: int = 100, **fields):
    product = ProductFactory(**fields)
    give_stock(product, branch, stock)
    return product


def order_body(*lines, payments=None, **extra) -> dict:
    """lines: (product, quantity) or (product, quantity, {extra item fields})."""
    items = []
    for line in lines:
        product, quantity, *rest = line
        items.append(
            {"product_id": str(product.pk), "quantity": quantity, **(rest[0] if rest else {})}
        )
    return {"items": items, "payments": payments or [], **extra}


def cash(amount) -> list[dict]:
    return [{"method": "cash", "amount": Decimal(str(amount))}]


def post_order(client, body, **headers):
    return client.post("/api/v1/orders", body, format="json", **headers)

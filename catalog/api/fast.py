"""Product reads rendered without DRF serializers: the till's hottest paths.

`values()` rows become dicts shaped exactly like ProductSerializer's output (which stays the
documented schema) and are encoded with orjson. On a detail page the serializer and model
instances cost more CPU than the query itself; here they are gone.

Encoding follows DRF's (COERCE_DECIMAL_TO_STRING=False): money and rates are JSON numbers with
their field's decimal places, datetimes ISO 8601 in UTC with a `Z`, UUIDs strings.
"""

from datetime import UTC, datetime
from decimal import Decimal

import orjson

from catalog import selectors

FIELDS = (
    "id", "name", "barcode", "sku", "category__name", "price", "cost_price", "stock",
    "critical_stock_level", "vat_rate", "image_url", "is_active", "created_at", "changed_at",
)  # fmt: skip

CENT = Decimal("0.01")
RATE = Decimal("0.0001")


def _time(value: datetime) -> str:
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def product_dict(row: dict, *, show_cost: bool) -> dict:
    out = {
        "id": str(row["id"]),
        "name": row["name"],
        "barcode": row["barcode"],
        "sku": row["sku"],
        "category": row["category__name"],
        "price": float(row["price"].quantize(CENT)),
    }
    if show_cost:
        out["cost_price"] = float(row["cost_price"].quantize(CENT))
    out.update(
        stock=row["stock"],
        critical_stock_level=row["critical_stock_level"],
        vat_rate=float(row["vat_rate"].quantize(RATE)),
        image_url=row["image_url"],
        is_active=row["is_active"],
        created_at=_time(row["created_at"]),
        updated_at=_time(row["changed_at"]),
    )
    return out


def product_rows(queryset) -> list[dict]:
    return list(queryset.values(*FIELDS))


def render_detail(product_id, *, branch_id, show_cost: bool) -> bytes | None:
    rows = product_rows(selectors.products_with_stock(branch_id=branch_id).filter(pk=product_id))
    if not rows:
        return None
    body = product_dict(rows[0], show_cost=show_cost)
    body["stock_by_branch"] = [
        {"branch_id": str(s["branch_id"]), "branch_code": s["branch_code"], "stock": s["stock"]}
        for s in selectors.product_stock_by_branch(product_id=product_id)
    ]
    return orjson.dumps(body)


def render_one(queryset, *, show_cost: bool) -> bytes | None:
    rows = product_rows(queryset[:1])
    return orjson.dumps(product_dict(rows[0], show_cost=show_cost)) if rows else None


def render_page(products: list[dict], *, total: int, skip: int, limit: int, show_cost: bool):
    items = [product_dict(row, show_cost=show_cost) for row in products]
    return orjson.dumps({"total": total, "skip": skip, "limit": limit, "items": items})

"""The app's URLs plus reference views, the floors the bench compares PosPro's endpoints with.

Loaded only by the bench (POSPRO_URLCONF=bench.urls); never part of a deployment.
"""

import uuid
from datetime import timedelta

import orjson
from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Product
from pospro.clock import local
from pospro.urls import urlpatterns as app_urlpatterns

LIST_FIELDS = (
    "id", "name", "barcode", "sku", "category__name", "price", "cost_price",
    "critical_stock_level", "vat_rate", "image_url", "is_active", "created_at", "updated_at",
)  # fmt: skip


def bare(request):
    """A plain Django view behind the same middleware: the framework floor with a body."""
    return JsonResponse({"ok": True})


class Authed(APIView):
    """The same answer through DRF with JWT auth, the user throttle and the metrics middleware."""

    def get(self, request):
        return Response({"ok": True})


def products_values(request):
    """The list reference: one `.values()` query and orjson, no serializer, no pagination."""
    limit = int(request.GET.get("limit", 50))
    rows = list(
        Product.objects.filter(is_active=True).order_by("name", "id").values(*LIST_FIELDS)[:limit]
    )
    return HttpResponse(orjson.dumps({"items": rows}, default=str), content_type="application/json")


def raw_product(request, product_id):
    """The detail reference: one raw query by primary key through Django's psycopg connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, name, barcode, sku, price, vat_rate, is_active "
            "FROM catalog_product WHERE id = %s",
            [product_id],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"detail": "not found"}, status=404)
    keys = ("id", "name", "barcode", "sku", "price", "vat_rate", "is_active")
    return HttpResponse(orjson.dumps(dict(zip(keys, row, strict=True)), default=str))


@csrf_exempt
def raw_order(request):
    """The POST /orders reference: the same writes in hand-written SQL, one transaction, no
    validation, no serializer. Body: {"branch_id", "cashier_id", "items": [{product_id,
    quantity}]}, prices taken from the catalog; VAT exclusive."""
    body = orjson.loads(request.body)
    branch_id, cashier_id = body["branch_id"], body["cashier_id"]
    lines = sorted((item["product_id"], int(item["quantity"])) for item in body["items"])
    now = timezone.now()
    moment = local(now)
    order_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cur:
        ids = [pid for pid, _ in lines]
        cur.execute(
            "SELECT id, product_id, quantity FROM catalog_stocklevel WHERE branch_id = %s "
            "AND product_id = ANY(%s::uuid[]) ORDER BY product_id FOR UPDATE",
            [branch_id, ids],
        )
        levels = {str(pid): (level_id, qty) for level_id, pid, qty in cur.fetchall()}
        cur.execute(
            "SELECT id, name, barcode, price, cost_price, vat_rate FROM catalog_product "
            "WHERE id = ANY(%s::uuid[])",
            [ids],
        )
        products = {str(row[0]): row for row in cur.fetchall()}
        for pid, qty in lines:
            level_id, current = levels[pid]
            if current < qty:
                return JsonResponse({"detail": "insufficient stock"}, status=409)
            cur.execute(
                "UPDATE catalog_stocklevel SET quantity = quantity - %s, updated_at = %s "
                "WHERE id = %s",
                [qty, now, level_id],
            )
            cur.execute(
                "INSERT INTO catalog_stockmovement (id, product_id, branch_id, quantity, "
                "balance_after, reason, note, order_id, user_id, created_at) "
                "VALUES (%s, %s, %s, %s, %s, 'sale', '', %s, %s, %s)",
                [uuid.uuid4(), pid, branch_id, -qty, current - qty, order_id, cashier_id, now],
            )
        cur.execute(
            "INSERT INTO sales_ordersequence (day, last) VALUES (%s, 1) ON CONFLICT (day) "
            "DO UPDATE SET last = sales_ordersequence.last + 1 RETURNING last",
            [moment.date()],
        )
        (number,) = cur.fetchone()
        subtotal = tax = 0
        rows = []
        for index, (pid, qty) in enumerate(lines):
            _, name, barcode, price, cost, rate = products[pid]
            gross = price * qty
            line_tax = round(gross * rate, 2)
            subtotal += gross
            tax += line_tax
            rows.append((index + 1, pid, name, barcode, qty, price, cost, rate, gross, line_tax))
        total = subtotal + tax
        cur.execute(
            "INSERT INTO sales_order (id, order_number, branch_id, cashier_id, customer_id, "
            "status, subtotal, discount_amount, tax_amount, total_amount, paid_amount, "
            "change_due, prices_include_vat, notes, business_date, business_hour, created_at, "
            "cancel_reason) VALUES (%s, %s, %s, %s, NULL, 'completed', %s, 0, %s, %s, %s, 0, "
            "false, '', %s, %s, %s, '')",
            [
                order_id, f"RAW-{moment:%Y%m%d}-{number:06d}-{order_id.hex[:6]}", branch_id,
                cashier_id, subtotal, tax, total, total, moment.date(), moment.hour, now,
            ],
        )  # fmt: skip
        for line_no, pid, name, barcode, qty, price, cost, rate, gross, line_tax in rows:
            cur.execute(
                "INSERT INTO sales_orderitem (id, order_id, line_no, product_id, name, barcode, "
                "quantity, unit_price, unit_cost, vat_rate, gross_amount, line_discount, "
                "order_discount_share, discount_amount, net_amount, tax_amount, line_total) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 0, 0, 0, %s, %s, %s)",
                [
                    uuid.uuid4(), order_id, line_no, pid, name, barcode, qty, price, cost, rate,
                    gross, gross, line_tax, gross + line_tax,
                ],
            )  # fmt: skip
        cur.execute(
            "INSERT INTO sales_payment (id, order_id, position, method, amount, applied_amount, "
            "reference) VALUES (%s, %s, 0, 'cash', %s, %s, NULL)",
            [uuid.uuid4(), order_id, total, total],
        )
        cur.execute(
            "INSERT INTO sales_idempotencykey (user_id, key, request_hash, response_status, "
            "response_body, order_id, created_at, expires_at) "
            "VALUES (%s, %s, '', 201, '{}', %s, %s, %s)",
            [cashier_id, str(order_id), order_id, now, now + timedelta(hours=24)],
        )
    return HttpResponse(orjson.dumps({"id": str(order_id)}), status=201)


urlpatterns = [
    path("bench/bare", bare),
    path("bench/authed", Authed.as_view()),
    path("bench/products-values", products_values),
    path("bench/raw-product/<uuid:product_id>", raw_product),
    path("bench/raw-order", raw_order),
    *app_urlpatterns,
]

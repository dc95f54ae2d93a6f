"""The app's URLs plus reference views, the floors the bench compares PosPro's endpoints with.

Loaded only by the bench (POSPRO_URLCONF=bench.urls); never part of a deployment.
"""

import itertools
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
from pospro.api.lean import lean_get
from pospro.clock import local
from pospro.urls import urlpatterns as app_urlpatterns
from sales import rollup

LIST_FIELDS = (
    "id", "name", "barcode", "sku", "category__name", "price", "cost_price",
    "critical_stock_level", "vat_rate", "image_url", "is_active", "created_at", "updated_at",
)  # fmt: skip


def bare(request):
    """A plain Django view behind the same middleware: the framework floor with a body."""
    return JsonResponse({"ok": True})


class AuthedDRF(APIView):
    """The same answer through DRF's request cycle, with JWT auth and the user throttle."""

    def get(self, request):
        return Response({"ok": True})


@lean_get(AuthedDRF.as_view())
def authed(request, user):
    """The same answer behind the gate of the app's hot reads (pospro.api.lean): JWT auth, the
    user snapshot, the per-user throttle; the metrics middleware as on every view."""
    return b'{"ok":true}'


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


RAW_SALES = itertools.count(1)


@csrf_exempt
def raw_order(request):
    """The POST /orders reference: the same rows written in hand-written SQL, one transaction,
    no validation, no serializer, a statement per table as a careful hand would (the stock
    rows locked, updated with unnest, the ledger, the day's number, order, lines, payment,
    both report roll-ups with the day's leaders, and the idempotency row). Body:
    {"branch_id", "cashier_id", "items": [{product_id, quantity}]}, prices taken from the
    catalog; VAT exclusive, cash."""
    body = orjson.loads(request.body)
    branch_id, cashier_id = body["branch_id"], body["cashier_id"]
    lines = sorted((item["product_id"], int(item["quantity"])) for item in body["items"])
    ids = [pid for pid, _ in lines]
    now = timezone.now()
    moment = local(now)
    day, hour = moment.date(), moment.hour
    order_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT l.id, l.product_id, l.quantity, p.name, p.barcode, p.price, p.cost_price, "
            "p.vat_rate FROM catalog_stocklevel l JOIN catalog_product p ON p.id = l.product_id "
            "WHERE l.branch_id = %s AND l.product_id = ANY(%s::uuid[]) "
            "ORDER BY l.product_id FOR UPDATE OF l",
            [branch_id, ids],
        )
        found = {str(row[1]): row for row in cur.fetchall()}
        rows = []
        for pid, qty in lines:
            level_id, _, current, name, barcode, price, cost, rate = found[pid]
            if current < qty:
                return JsonResponse({"detail": "insufficient stock"}, status=409)
            gross = price * qty
            tax = round(gross * rate, 2)
            rows.append((pid, qty, level_id, current, name, barcode, price, cost, rate, gross, tax))
        cur.execute(
            "UPDATE catalog_stocklevel AS l SET quantity = l.quantity - c.qty, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::integer[]) AS c(id, qty) WHERE l.id = c.id",
            [now, [r[2] for r in rows], [r[1] for r in rows]],
        )
        cur.execute(
            "INSERT INTO catalog_stockmovement (id, product_id, branch_id, quantity, "
            "balance_after, reason, note, order_id, user_id, created_at) "
            "SELECT gen_random_uuid(), p, %s, -q, b, 'sale', '', %s, %s, %s "
            "FROM unnest(%s::uuid[], %s::integer[], %s::integer[]) AS m(p, q, b)",
            [branch_id, order_id, cashier_id, now, [r[0] for r in rows], [r[1] for r in rows],
             [r[3] - r[1] for r in rows]],
        )  # fmt: skip
        lock, lock_params = rollup.day_lock_sql(branch_id, day)
        cur.execute(  # the number, and the day's leader lock shared with other sales
            "INSERT INTO sales_ordersequence (day, last) VALUES (%s, 1) ON CONFLICT (day) "
            f"DO UPDATE SET last = sales_ordersequence.last + 1 RETURNING last, {lock}",
            [day, *lock_params],
        )
        number = cur.fetchone()[0]
        subtotal = sum(r[9] for r in rows)
        tax = sum(r[10] for r in rows)
        total = subtotal + tax
        cur.execute(
            "INSERT INTO sales_order (id, order_number, branch_id, cashier_id, customer_id, "
            "status, subtotal, discount_amount, tax_amount, total_amount, paid_amount, "
            "change_due, prices_include_vat, notes, business_date, business_hour, created_at, "
            "cancel_reason) VALUES (%s, %s, %s, %s, NULL, 'completed', %s, 0, %s, %s, %s, 0, "
            "false, '', %s, %s, %s, '')",
            [
                order_id, f"RAW-{moment:%Y%m%d}-{number:06d}-{order_id.hex[:6]}", branch_id,
                cashier_id, subtotal, tax, total, total, day, hour, now,
            ],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO sales_orderitem (id, order_id, line_no, product_id, name, barcode, "
            "quantity, unit_price, unit_cost, vat_rate, gross_amount, line_discount, "
            "order_discount_share, discount_amount, net_amount, tax_amount, line_total) "
            "SELECT gen_random_uuid(), %s, n, p, nm, bc, q, pr, co, vr, g, 0, 0, 0, g, t, g + t "
            "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::integer[], %s::numeric[], "
            "%s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[]) WITH ORDINALITY "
            "AS i(p, nm, bc, q, pr, co, vr, g, t, n)",
            [order_id, *([r[k] for r in rows] for k in (0, 4, 5, 1, 6, 7, 8, 9, 10))],
        )
        cur.execute(
            "INSERT INTO sales_payment (id, order_id, position, method, amount, applied_amount, "
            "reference) VALUES (%s, %s, 0, 'cash', %s, %s, NULL)",
            [uuid.uuid4(), order_id, total, total],
        )
        if next(RAW_SALES) % rollup.RAISE_EVERY:  # the day's floor, one row
            bar = (
                "SELECT revenue FROM sales_productdaythreshold "
                "WHERE branch_id = %s AND business_date = %s"
            )
        else:  # now and then, raised to the leaders' 50th
            bar = (
                "SELECT t.revenue FROM sales_productdayleader l JOIN sales_productsalesrollup t "
                "ON t.branch_id = l.branch_id AND t.business_date = l.business_date "
                "AND t.product_id = l.product_id WHERE l.branch_id = %s AND l.business_date = %s "
                f"AND t.lines > 0 ORDER BY t.revenue DESC OFFSET {rollup.LEADERS - 1} LIMIT 1), "
                "raised AS (INSERT INTO sales_productdaythreshold AS f (branch_id, business_date, "
                "revenue) SELECT %s, %s, revenue FROM bar ON CONFLICT (branch_id, business_date) "
                "DO UPDATE SET revenue = GREATEST(f.revenue, excluded.revenue)"
            )
        cur.execute(  # the product rollup, and the sold products reaching the floor lead
            "WITH sold AS (INSERT INTO sales_productsalesrollup AS r (branch_id, business_date, "
            "product_id, lines, quantity, revenue, net_revenue, cost) "
            "SELECT %s, %s, p, 1, q, g + t, g, q * co FROM unnest(%s::uuid[], %s::integer[], "
            "%s::numeric[], %s::numeric[], %s::numeric[]) AS x(p, q, g, t, co) "
            "ON CONFLICT (branch_id, business_date, product_id) DO UPDATE SET "
            "lines = r.lines + 1, quantity = r.quantity + excluded.quantity, "
            "revenue = r.revenue + excluded.revenue, "
            "net_revenue = r.net_revenue + excluded.net_revenue, cost = r.cost + excluded.cost "
            f"RETURNING product_id, revenue, lines), bar AS ({bar}) "
            "INSERT INTO sales_productdayleader (branch_id, business_date, product_id) "
            "SELECT %s, %s, product_id FROM sold WHERE lines > 0 "
            "AND revenue >= COALESCE((SELECT revenue FROM bar), -1) ON CONFLICT DO NOTHING",
            [branch_id, day, *([r[k] for r in rows] for k in (0, 1, 9, 10, 7)),
             *[branch_id, day] * (2 if bar.count("%s") == 4 else 1), branch_id, day],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO sales_salesrollup AS r (branch_id, business_date, business_hour, "
            "cashier_id, orders, items, gross, refunded, tax, discount, cash, card, meal_card, "
            "credit) VALUES (%s, %s, %s, %s, 1, %s, %s, 0, %s, 0, %s, 0, 0, 0) "
            "ON CONFLICT (branch_id, business_date, business_hour, cashier_id) DO UPDATE SET "
            "orders = r.orders + 1, items = r.items + excluded.items, "
            "gross = r.gross + excluded.gross, tax = r.tax + excluded.tax, "
            "cash = r.cash + excluded.cash",
            [branch_id, day, hour, cashier_id, sum(r[1] for r in rows), total, tax, total],
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
    path("bench/authed", authed),
    path("bench/authed-drf", AuthedDRF.as_view()),
    path("bench/products-values", products_values),
    path("bench/raw-product/<uuid:product_id>", raw_product),
    path("bench/raw-order", raw_order),
    *app_urlpatterns,
]

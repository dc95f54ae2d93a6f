"""The app's URLs plus the bench's one reference view: POST /orders' writes in hand-written SQL.

Loaded only through bench.settings. The bench prints the reference beside the API's sale as
information (what the ORM, validation and DRF cost over the same rows); no target compares them.
"""

import json
import uuid
from datetime import timedelta

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from pospro.clock import local
from pospro.money import quantize
from pospro.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def raw_order(request):
    """The rows a cash sale writes, a statement per table as a careful hand would: the stock
    rows locked and updated with unnest, the ledger, the order, its lines and payment, both
    report roll-ups, the idempotency row, and last the day's number (its counter row stays
    locked until commit). No validation, no serializer, VAT exclusive, tax per line ROUND_HALF_UP.
    Body: {"branch_id", "cashier_id", "items": [{product_id, quantity}]}, prices from the catalog.
    """
    body = json.loads(request.body)
    branch_id, cashier_id = body["branch_id"], body["cashier_id"]
    lines = sorted((item["product_id"], int(item["quantity"])) for item in body["items"])
    now = timezone.now()
    moment = local(now)
    day, hour = moment.date(), moment.hour
    order_id = uuid.uuid4()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "SELECT l.product_id, l.id, l.quantity, p.name, p.barcode, p.price, p.cost_price, "
            "p.vat_rate FROM catalog_stocklevel l JOIN catalog_product p ON p.id = l.product_id "
            "WHERE l.branch_id = %s AND l.product_id = ANY(%s::uuid[]) "
            "ORDER BY l.product_id FOR UPDATE OF l",
            [branch_id, [pid for pid, _ in lines]],
        )
        found = {str(row[0]): row for row in cur.fetchall()}
        rows = []  # product, qty, level, balance, name, barcode, price, cost, rate, gross, tax
        for pid, qty in lines:
            _, level_id, current, name, barcode, price, cost, rate = found[pid]
            if current < qty:
                return JsonResponse({"detail": "insufficient stock"}, status=409)
            gross = price * qty
            rows.append((pid, qty, level_id, current - qty, name, barcode, price, cost, rate,
                         gross, quantize(gross * rate)))  # fmt: skip
        col = [list(column) for column in zip(*rows, strict=True)]
        subtotal, tax = sum(col[9]), sum(col[10])
        total = subtotal + tax
        cur.execute(
            "UPDATE catalog_stocklevel AS l SET quantity = l.quantity - c.qty, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::integer[]) AS c(id, qty) WHERE l.id = c.id",
            [now, col[2], col[1]],
        )
        cur.execute(
            "INSERT INTO catalog_stockmovement (id, product_id, branch_id, quantity, "
            "balance_after, reason, note, order_id, user_id, created_at) "
            "SELECT gen_random_uuid(), p, %s, -q, b, 'sale', '', %s, %s, %s "
            "FROM unnest(%s::uuid[], %s::integer[], %s::integer[]) AS m(p, q, b)",
            [branch_id, order_id, cashier_id, now, col[0], col[1], col[3]],
        )
        cur.execute(  # numbered last, below; a placeholder keeps the column unique until then
            "INSERT INTO sales_order (id, order_number, branch_id, cashier_id, customer_id, "
            "status, subtotal, discount_amount, tax_amount, total_amount, paid_amount, "
            "change_due, prices_include_vat, notes, business_date, business_hour, created_at, "
            "cancel_reason) VALUES (%s, %s, %s, %s, NULL, 'completed', %s, 0, %s, %s, %s, 0, "
            "false, '', %s, %s, %s, '')",
            [order_id, f"RAW-{order_id.hex[:28]}", branch_id, cashier_id, subtotal, tax, total,
             total, day, hour, now],
        )  # fmt: skip
        cur.execute(
            "INSERT INTO sales_orderitem (id, order_id, line_no, product_id, name, barcode, "
            "quantity, unit_price, unit_cost, vat_rate, gross_amount, line_discount, "
            "order_discount_share, discount_amount, net_amount, tax_amount, line_total) "
            "SELECT gen_random_uuid(), %s, n, p, nm, bc, q, pr, co, vr, g, 0, 0, 0, g, t, g + t "
            "FROM unnest(%s::uuid[], %s::text[], %s::text[], %s::integer[], %s::numeric[], "
            "%s::numeric[], %s::numeric[], %s::numeric[], %s::numeric[]) WITH ORDINALITY "
            "AS i(p, nm, bc, q, pr, co, vr, g, t, n)",
            [order_id, *(col[k] for k in (0, 4, 5, 1, 6, 7, 8, 9, 10))],
        )
        cur.execute(
            "INSERT INTO sales_payment (id, order_id, position, method, amount, applied_amount, "
            "reference) VALUES (%s, %s, 0, 'cash', %s, %s, NULL)",
            [uuid.uuid4(), order_id, total, total],
        )
        cur.execute(
            "INSERT INTO sales_productsalesrollup AS r (branch_id, business_date, product_id, "
            "lines, quantity, revenue, net_revenue, cost) "
            "SELECT %s, %s, p, 1, q, g + t, g, q * co FROM unnest(%s::uuid[], %s::integer[], "
            "%s::numeric[], %s::numeric[], %s::numeric[]) AS x(p, q, g, t, co) "
            "ON CONFLICT (branch_id, business_date, product_id) DO UPDATE SET "
            "lines = r.lines + 1, quantity = r.quantity + excluded.quantity, "
            "revenue = r.revenue + excluded.revenue, "
            "net_revenue = r.net_revenue + excluded.net_revenue, cost = r.cost + excluded.cost",
            [branch_id, day, col[0], col[1], col[9], col[10], col[7]],
        )
        cur.execute(
            "INSERT INTO sales_salesrollup AS r (branch_id, business_date, business_hour, "
            "cashier_id, orders, items, gross, refunded, tax, discount, cash, card, meal_card, "
            "credit) VALUES (%s, %s, %s, %s, 1, %s, %s, 0, %s, 0, %s, 0, 0, 0) "
            "ON CONFLICT (branch_id, business_date, business_hour, cashier_id) DO UPDATE SET "
            "orders = r.orders + 1, items = r.items + excluded.items, "
            "gross = r.gross + excluded.gross, tax = r.tax + excluded.tax, "
            "cash = r.cash + excluded.cash",
            [branch_id, day, hour, cashier_id, sum(col[1]), total, tax, total],
        )
        cur.execute(
            "INSERT INTO sales_idempotencykey (user_id, key, request_hash, response_status, "
            "response_body, order_id, created_at, expires_at) "
            "VALUES (%s, %s, '', 201, '{}', %s, %s, %s)",
            [cashier_id, str(order_id), order_id, now, now + timedelta(hours=24)],
        )
        cur.execute(
            "WITH n AS (INSERT INTO sales_ordersequence (day, last) VALUES (%s, 1) "
            "ON CONFLICT (day) DO UPDATE SET last = sales_ordersequence.last + 1 RETURNING last) "
            "UPDATE sales_order SET order_number = %s || lpad(n.last::text, 6, '0') FROM n "
            "WHERE id = %s",
            [day, f"RAW-{day:%Y%m%d}-", order_id],
        )
    return JsonResponse({"id": str(order_id)}, status=201)


urlpatterns = [path("bench/raw-order", raw_order), *app_urlpatterns]

"""Run by tests/test_sqlite_demo.py in a subprocess on a fresh SQLite file: a till's day on
the zero-setup default (the README's demo command), through the API."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pospro.settings")
django.setup()

from django.core.management import call_command  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

call_command("migrate", verbosity=0)
call_command("seed_demo", products=20, days=2, orders_per_day=5, verbosity=0)

client = APIClient()


def login(email):
    body = {"email": email, "password": "PosPro-Demo-2025!"}
    token = client.post("/api/v1/auth/login", body, format="json").json()["access_token"]
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


cashier, manager = login("cashier@pospro.local"), login("manager@pospro.local")
# One the cashier's branch has in stock: the seed's sales run up to the current hour, so which
# products are sold out depends on the time of day the test runs.
items = cashier.get("/api/v1/products?limit=100").json()["items"]
product = next(item for item in items if item["stock"] >= 1)
results = {
    "detail": cashier.get(f"/api/v1/products/{product['id']}").status_code,
    "barcode": cashier.get(f"/api/v1/products/barcode/{product['barcode']}").status_code,
}
body = {
    "items": [{"product_id": product["id"], "quantity": 1}],
    "payments": [{"method": "cash", "amount": 100000}],
}
first = cashier.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="sqlite-1")
again = cashier.post("/api/v1/orders", body, format="json", HTTP_IDEMPOTENCY_KEY="sqlite-1")
order = first.json()
refund = manager.post(
    f"/api/v1/orders/{order['id']}/refund",
    {"items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]},
    format="json",
)
results.update(
    order=first.status_code,
    replayed=again.get("Idempotent-Replayed"),
    same=again.json() == order,
    refund=refund.status_code,
    daily=manager.get("/api/v1/reports/daily").status_code,
    products=manager.get("/api/v1/reports/products").status_code,
    stats=manager.get("/api/v1/orders/stats").status_code,
)
print("RESULT " + json.dumps(results))

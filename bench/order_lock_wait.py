"""How long sales wait for the day's order-number counter row (sales.OrderSequence).

K processes (tills: each its own connection, cashier and product, so the counter is the only
row they share) create orders through `sales.services.order_create` on PostgreSQL; processes,
not threads, so that one interpreter's lock does not stretch the time a sale holds the row.
Every statement that touches the counter table is timed: under contention its time is the wait
for the row lock held by another sale until that sale commits. Also reported: the sales'
throughput and latency.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pospro_bench \\
        .venv/bin/python bench/order_lock_wait.py --tills 8 --orders 50

The database must be migrated (`manage.py migrate`); the script adds a bench branch, cashiers
and products with stock, and leaves the orders it made.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, connections  # noqa: E402

from accounts.models import Branch, Role, User  # noqa: E402
from catalog.models import Category, Product  # noqa: E402
from catalog.services import StockChange, stock_apply  # noqa: E402
from sales import services  # noqa: E402
from sales.models import OrderSequence  # noqa: E402

COUNTER_TABLE = OrderSequence._meta.db_table


def setup(tills: int):
    branch, _ = Branch.objects.get_or_create(code="BENCH-LW", defaults={"name": "Lock wait"})
    category, _ = Category.objects.get_or_create(name="Bench lock wait")
    sellers = []
    for index in range(tills):
        cashier, _ = User.objects.get_or_create(
            email=f"lockwait-{index}@bench.test",
            defaults={"role": Role.CASHIER, "branch": branch, "name": f"Till {index}"},
        )
        product, created = Product.objects.get_or_create(
            sku=f"LOCKWAIT-{index:03d}",
            defaults={
                "name": f"Lock wait {index}",
                "barcode": f"2990000{index:06d}",
                "category": category,
                "price": Decimal("10.00"),
                "cost_price": Decimal("6.00"),
                "vat_rate": Decimal("0.1800"),
            },
        )
        stock_apply(changes=[StockChange(product.pk, branch.pk, 100_000)], reason="stock_purchase")
        sellers.append((cashier, product))
    return branch, sellers


def sell(index: int, orders: int, seller, barrier, results) -> None:
    """One till: `orders` sales, each with its counter wait, counter hold and latency."""
    cashier, product = seller
    counted = {}

    def timer(execute, sql, params, many, context):
        if COUNTER_TABLE not in sql:
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            end = time.perf_counter()
            counted["wait"] = counted.get("wait", 0.0) + end - start

    rows, error = [], None
    try:
        with connection.execute_wrapper(timer):
            barrier.wait(timeout=60)
            for _ in range(orders):
                counted.clear()
                start = time.perf_counter()
                services.order_create(
                    actor=cashier,
                    items=[services.ItemRequest(product_id=product.pk, quantity=1)],
                    payments=[services.PaymentRequest(method="cash", amount=Decimal("20"))],
                )
                end = time.perf_counter()
                rows.append((counted.get("wait", 0.0), end - start))
    except Exception as exc:  # reported by the parent
        error = repr(exc)
    finally:
        connections.close_all()
    results.put((rows, error))


def run(tills: int, orders: int, sellers) -> dict:
    connections.close_all()  # each process opens its own
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(tills), context.Queue()
    processes = [
        context.Process(target=sell, args=(i, orders, sellers[i], barrier, results))
        for i in range(tills)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    answers = [results.get() for _ in processes]
    elapsed = time.perf_counter() - started
    for process in processes:
        process.join()
    rows = [row for found, _ in answers for row in found]
    return {
        "elapsed": elapsed,
        "waits": [row[0] for row in rows],
        "latencies": [row[1] for row in rows],
        "errors": [error for _, error in answers if error],
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tills", type=int, default=8, help="concurrent sellers (processes)")
    parser.add_argument("--orders", type=int, default=50, help="orders per till")
    parser.add_argument("--warmup", type=int, default=5, help="orders per till not counted")
    args = parser.parse_args()
    _, sellers = setup(args.tills)
    if args.warmup:
        run(args.tills, args.warmup, sellers)
    result = run(args.tills, args.orders, sellers)
    waits, latencies = result["waits"], result["latencies"]
    count = len(latencies)
    if result["errors"]:
        print("errors:", *result["errors"][:5], sep="\n  ")
    if not count:
        return
    quantiles = statistics.quantiles(latencies, n=20)
    print(f"{args.tills} tills x {args.orders} orders: {count} orders in "
          f"{result['elapsed']:.2f} s ({count / result['elapsed']:.0f} orders/s)")  # fmt: skip
    print(f"counter wait: total {sum(waits):.3f} s, mean {ms(statistics.fmean(waits))}, "
          f"p95 {ms(statistics.quantiles(waits, n=20)[-1])} per order")  # fmt: skip
    print(f"order latency: p50 {ms(statistics.median(latencies))}, p95 {ms(quantiles[-1])}")


if __name__ == "__main__":
    main()

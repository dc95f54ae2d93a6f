"""Demo data at scale for `manage.py seed_demo`: a catalog, customers and N days of sales.

Fast because rows are generated as tuples and written in bulk (PostgreSQL COPY, SQLite
executemany), never through the per-order services; correct because it keeps every invariant
the services keep:

- totals come from sales.pricing.price_order, so lines, orders and payments reconcile to the
  cent; payments apply cash net of change;
- every stock change has its ledger row (initial, stock_purchase, sale, return, cancellation),
  written in time order with its balance_after, and StockLevel is set to the final balances,
  so stock == sum of movements and never goes below zero;
- order numbers are ORD-YYYYMMDD-NNN per business day, in time order, continuing any sequence
  the day already has, and OrderSequence is left at the last number;
- refunds and cancellations follow the services' rules (refund amounts pro rata per line,
  cancellations on the day of the sale), and customers' balances are credit taken minus credit
  refunded.

Sales follow a daily rhythm (opening 08:00-23:00 with lunch and evening peaks), a weekly one
(weekends busier), a slow upward trend and noise; product popularity is Zipf-like, so best
sellers stand out; branches differ in size.
"""

import heapq
import math
import random
import time
from bisect import bisect
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import accumulate
from uuid import UUID

from django.conf import settings
from django.db import connection
from django.db.models import AutoField, Max, Q
from django.utils import timezone

from accounts.models import Branch
from catalog.models import (
    Category,
    MovementReason,
    Product,
    ProductCount,
    StockLevel,
    StockMovement,
)
from pospro.clock import business_today, business_tz
from pospro.money import ZERO, quantize
from sales import rollup
from sales.models import (
    Customer,
    Order,
    OrderItem,
    OrderSequence,
    OrderStatus,
    Payment,
    PaymentMethod,
    ProductSalesRollup,
    Refund,
    RefundItem,
    SalesRollup,
)
from sales.pricing import LineInput, price_order

# What the seed writes: the tables analyze_seeded_tables() refreshes statistics of.
SEEDED_MODELS = (
    Branch, Category, Product, StockLevel, StockMovement, Customer, Order, OrderItem,
    OrderSequence, Payment, Refund, RefundItem, SalesRollup, ProductSalesRollup,
)  # fmt: skip

DEMO_SKU_PREFIX = "DEMO-"
DEMO_CUSTOMER_DOMAIN = "demo.pospro.local"

# Turkish VAT: 1% basic food, 10% other food, 20% everything else.
CATEGORIES = [
    # name, VAT, price range, items, sizes
    ("Fruit & vegetables", "0.01", (8, 90), ["Tomatoes", "Cucumbers", "Apples", "Bananas",
     "Oranges", "Potatoes", "Onions", "Peppers", "Lemons", "Grapes"], ["500 g", "1 kg", "2 kg"]),
    ("Bakery", "0.01", (5, 60), ["Bread", "Simit", "Pide", "Baguette", "Croissant",
     "Whole-wheat loaf", "Pogaca", "Lavash"], ["1 pc", "4 pcs", "6 pcs"]),
    ("Dairy & eggs", "0.01", (15, 220), ["Milk", "Ayran", "Yoghurt", "White cheese",
     "Kasar cheese", "Butter", "Eggs", "Cream"], ["200 g", "500 g", "1 L", "10 pcs"]),
    ("Meat & fish", "0.01", (90, 650), ["Minced beef", "Chicken breast", "Lamb chops", "Sucuk",
     "Salmon", "Sea bass", "Anchovies", "Turkey slices"], ["250 g", "500 g", "1 kg"]),
    ("Pantry", "0.01", (12, 160), ["Rice", "Bulgur", "Lentils", "Pasta", "Flour", "Sugar",
     "Olive oil", "Sunflower oil", "Tomato paste", "Chickpeas"], ["500 g", "1 kg", "1 L", "5 L"]),
    ("Snacks & sweets", "0.10", (10, 120), ["Chocolate", "Hazelnuts", "Pistachios", "Biscuits",
     "Crisps", "Turkish delight", "Halva", "Wafers"], ["50 g", "150 g", "400 g"]),
    ("Drinks", "0.20", (8, 140), ["Mineral water", "Cola", "Orange juice", "Black tea",
     "Turkish coffee", "Lemonade", "Iced tea", "Sparkling water"], ["330 ml", "1 L", "6 x 1.5 L",
     "500 g"]),
    ("Frozen", "0.10", (25, 190), ["Ice cream", "Frozen peas", "Manti", "Borek", "Pizza",
     "Fish fingers"], ["450 g", "1 kg", "4 pcs"]),
    ("Household", "0.20", (20, 320), ["Dish soap", "Laundry powder", "Bleach", "Paper towels",
     "Toilet paper", "Bin bags", "Sponges"], ["1 pc", "12 rolls", "750 ml", "4 kg"]),
    ("Personal care", "0.20", (25, 380), ["Shampoo", "Toothpaste", "Shower gel", "Deodorant",
     "Hand cream", "Razor blades", "Cotton pads"], ["1 pc", "250 ml", "500 ml", "100 ml"]),
    ("Baby", "0.10", (40, 520), ["Diapers", "Baby wipes", "Baby food", "Baby shampoo"],
     ["1 pc", "40 pcs", "125 g", "300 ml"]),
    ("Pet", "0.20", (30, 480), ["Cat food", "Dog food", "Cat litter", "Pet treats"],
     ["400 g", "1.5 kg", "10 L", "100 g"]),
]  # fmt: skip
BRANDS = [
    "Anadolu", "Bereket", "Kardelen", "Marmara", "Ege", "Toros", "Yayla", "Gunes", "Pinar",
    "Lale", "Nehir", "Ova", "Selin", "Defne", "Akdeniz", "Kuzey", "Tarla", "Ciftlik", "Koy",
    "Bahce",
]  # fmt: skip
FIRST_NAMES = [
    "Ayse", "Mehmet", "Fatma", "Mustafa", "Emine", "Ahmet", "Hatice", "Ali", "Zeynep", "Huseyin",
    "Elif", "Hasan", "Merve", "Ibrahim", "Esra", "Can", "Deniz", "Ece", "Burak", "Selin",
]  # fmt: skip
LAST_NAMES = [
    "Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Yildirim", "Ozturk", "Aydin",
    "Ozdemir", "Arslan", "Dogan", "Kilic", "Aslan", "Cetin", "Kara", "Koc", "Kurt", "Ozkan",
]  # fmt: skip
#: Orders per opening hour (local), relative.
HOURS = {8: 0.3, 9: 0.5, 10: 0.7, 11: 0.9, 12: 1.3, 13: 1.2, 14: 0.8, 15: 0.75, 16: 0.85,
         17: 1.15, 18: 1.4, 19: 1.3, 20: 0.9, 21: 0.55, 22: 0.25}  # fmt: skip
WEEKDAYS = [0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2]  # Monday first
BRANCH_SHARES = {"IST-01": 0.34, "ANK-01": 0.26, "IZM-01": 0.22, "ANT-01": 0.18}
# Plain strings: psycopg dumps an Enum by its name, and COPY must write the values.
COMPLETED, CANCELLED = OrderStatus.COMPLETED.value, OrderStatus.CANCELLED.value
REFUNDED, PARTIALLY_REFUNDED = OrderStatus.REFUNDED.value, OrderStatus.PARTIALLY_REFUNDED.value
CASH, CARD = PaymentMethod.CASH.value, PaymentMethod.CARD.value
MEAL_CARD, CREDIT = PaymentMethod.MEAL_CARD.value, PaymentMethod.CREDIT.value
INITIAL, PURCHASE = MovementReason.INITIAL.value, MovementReason.STOCK_PURCHASE.value
SALE, RETURN = MovementReason.SALE.value, MovementReason.RETURN.value
CANCELLATION = MovementReason.CANCELLATION.value
MEAN_LINES = 2.45  # 1 + a geometric(0.4) tail capped at 11 extra lines
MEAN_QUANTITY = 1.35
REFUND_RATE, CANCEL_RATE = 0.02, 0.006
STOCK_BATCH = 20_000


@dataclass
class SeedSummary:
    days: int = 0
    products: int = 0
    customers: int = 0
    orders: int = 0
    lines: int = 0
    refunds: int = 0
    cancelled: int = 0
    movements: int = 0
    seconds: float = 0.0
    per_table: dict = field(default_factory=dict)


# --- bulk writing -----------------------------------------------------------------------------


class Sink:
    """Buffers rows per model and writes them in batches: COPY on PostgreSQL, executemany
    elsewhere. Rows are tuples in the order of `fields(model)`. When one table's batch is full
    every table is written, parents first, so foreign keys can be checked row by row."""

    ORDER = (Customer, Order, OrderItem, Payment, Refund, RefundItem, StockMovement, StockLevel)

    def __init__(self, batch: int = STOCK_BATCH):
        self.batch = batch
        self.rows: dict = defaultdict(list)
        self.counts: dict = defaultdict(int)

    @staticmethod
    def fields(model) -> list:
        return [
            f
            for f in model._meta.concrete_fields
            if not (f.primary_key and isinstance(f, AutoField))
        ]

    def add(self, model, row: tuple) -> None:
        rows = self.rows[model]
        rows.append(row)
        if len(rows) >= self.batch:
            self.flush()

    def flush(self) -> None:
        for target in self.ORDER:
            rows = self.rows.pop(target, [])
            if rows:
                self._write(target, rows)
                self.counts[target._meta.label] += len(rows)

    def _write(self, model, rows: list[tuple]) -> None:
        fields = self.fields(model)
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in fields)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor  # psycopg 3: COPY streams rows, adapting Python types
                with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608
                    [
                        tuple(
                            f.get_db_prep_save(v, connection)
                            for f, v in zip(fields, row, strict=True)
                        )
                        for row in rows
                    ],
                )


# --- the generator ----------------------------------------------------------------------------


def ean13(body: str) -> str:
    """12 digits + the EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


class Seeder:
    def __init__(
        self,
        *,
        branches: list[Branch],
        staff: dict,
        days: int,
        products: int,
        customers: int,
        orders_per_day: int | None,
        lines: int | None,
        seed: int,
        progress: Callable[[int, int, int], None] | None = None,
    ):
        self.rng = random.Random(seed)
        self.branches = branches
        self.staff = staff  # branch id -> {"cashiers": [user ids], "manager": user id}
        self.days = days
        self.n_products = products
        self.n_customers = customers
        self.orders_per_day = orders_per_day
        self.lines_target = lines
        self.progress = progress or (lambda *args: None)
        self.sink = Sink()
        self.summary = SeedSummary(days=days)
        self.zone = business_tz()
        self.now = timezone.now()
        self.include_vat = settings.POSPRO_PRICES_INCLUDE_VAT
        self.pending: list = []  # heap of (time, seq, kind, payload) stock events after a sale
        self.seq = 0
        self.balance: dict = {}
        self.customer_balance: dict = defaultdict(lambda: ZERO)

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128), version=4)

    # catalog and customers -------------------------------------------------------------------

    def make_catalog(self) -> None:
        rng = self.rng
        categories = {}
        for name, *_ in CATEGORIES:
            categories[name] = Category.objects.filter(
                name__iexact=name
            ).first() or Category.objects.create(name=name)
        taken = set(
            Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX).values_list("sku", flat=True)
        )
        rows, names = [], set()
        n = 0
        while len(rows) < self.n_products:
            n += 1
            cat, vat, (low, high), items, sizes = CATEGORIES[rng.randrange(len(CATEGORIES))]
            name = f"{rng.choice(BRANDS)} {rng.choice(items)} {rng.choice(sizes)}"
            if name in names:
                name = f"{name} #{n}"
            names.add(name)
            sku = f"{DEMO_SKU_PREFIX}{n:06d}"
            if sku in taken:
                continue
            price = quantize(
                Decimal(str(round(math.exp(rng.uniform(math.log(low), math.log(high))), 1)))
                - Decimal("0.01")
            )
            price = max(price, Decimal("1.99"))
            cost = quantize(price * Decimal(str(rng.uniform(0.55, 0.8))))
            rows.append(
                Product(
                    id=self.uuid(),
                    name=name,
                    barcode=ean13(f"869{n:09d}"),
                    sku=sku,
                    category=categories[cat],
                    price=price,
                    cost_price=cost,
                    vat_rate=Decimal(vat),
                    critical_stock_level=rng.choice([5, 5, 10, 10, 15, 20]),
                )
            )
        Product.objects.bulk_create(rows, batch_size=2000)
        self.products = rows
        # Zipf-like popularity, shuffled so it does not follow creation order.
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(rows))]
        rng.shuffle(weights)
        self.weights = weights
        self.cum_weights = list(accumulate(weights))
        self.product_share = [w / self.cum_weights[-1] for w in weights]
        self.summary.products = len(rows)

    def make_customers(self) -> None:
        rng = self.rng
        self.customers = [
            (
                self.uuid(),
                f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                f"customer{i + 1}@{DEMO_CUSTOMER_DOMAIN}",
                f"+90 5{rng.randrange(30, 60)} {rng.randrange(100, 1000)} "
                f"{rng.randrange(1000, 10000)}",
            )
            for i in range(self.n_customers)
        ]

    def write_customers(self) -> None:
        now = self.now
        for cid, name, email, phone in self.customers:
            self.sink.add(Customer, (cid, name, email, phone, "", "", ZERO, True, now, now))
        self.sink.flush()
        self.summary.customers = len(self.customers)

    def write_balances(self) -> None:
        Customer.objects.bulk_update(
            [Customer(pk=cid, balance=owed) for cid, owed in self.customer_balance.items() if owed],
            ["balance"],
            batch_size=500,
        )

    # stock --------------------------------------------------------------------------------------

    def _expected_daily(self, p: int, b: int) -> float:
        share = BRANCH_SHARES.get(self.branches[b].code, 1 / len(self.branches))
        return self.avg_orders * share * MEAN_LINES * MEAN_QUANTITY * self.product_share[p]

    def _movement(self, p, b, quantity, reason, moment, order_id=None, user_id=None) -> None:
        key = (p, b)
        self.balance[key] += quantity
        self.sink.add(
            StockMovement,
            (self.uuid(), self.products[p].id, self.branches[b].id, quantity,
             self.balance[key], reason, "", order_id, user_id, moment),
        )  # fmt: skip
        self.summary.movements += 1

    def _take(self, p: int, b: int, quantity: int, moment: datetime, order_id) -> None:
        """A sale of `quantity`: the opening stock on first use, a purchase when running low."""
        key = (p, b)
        expected = max(self._expected_daily(p, b), 0.2)
        critical = self.products[p].critical_stock_level
        if key not in self.balance:
            self.balance[key] = 0
            opening = max(critical + quantity + 2, round(expected * self.rng.uniform(6, 14)))
            self._movement(p, b, opening, INITIAL, self.start_moment)
        left = self.balance[key] - quantity
        if left < 0 or (left <= critical and self.rng.random() < 0.85):
            purchase = max(critical * 2, round(expected * self.rng.uniform(7, 14))) + quantity
            self._movement(
                p, b, purchase, PURCHASE, moment - timedelta(microseconds=1),
                user_id=self.staff[self.branches[b].id]["manager"],
            )  # fmt: skip
        self._movement(p, b, -quantity, SALE, moment, order_id)

    def _schedule(self, moment: datetime, kind: str, payload) -> None:
        self.seq += 1
        heapq.heappush(self.pending, (moment, self.seq, kind, payload))

    def _apply_pending(self, before: datetime | None) -> None:
        """Returns and cancellations scheduled before `before` (all of them for None)."""
        while self.pending and (before is None or self.pending[0][0] < before):
            moment, _, reason, payload = heapq.heappop(self.pending)
            for p, b, quantity, order_id, user_id in payload:
                self._movement(p, b, quantity, reason, moment, order_id, user_id)

    # sales --------------------------------------------------------------------------------------

    def _day_weights(self, days: list[date]) -> list[float]:
        rng = self.rng
        weights = []
        for n, day in enumerate(days):
            trend = 1 + 0.15 * n / max(len(days) - 1, 1)
            weights.append(WEEKDAYS[day.weekday()] * trend * rng.gauss(1, 0.07))
        return weights

    def _times(self, day: date, count: int) -> list[datetime]:
        """`count` sale times on `day` by the hourly rhythm, in order; today's before now."""
        rng = self.rng
        limit = self.latest.astimezone(self.zone)
        if day == limit.date():
            seconds = {
                h: min(3600, max(0, (limit.hour - h) * 3600 + limit.minute * 60)) for h in HOURS
            }
        else:
            seconds = dict.fromkeys(HOURS, 3600)
        hours = [h for h in HOURS if seconds[h]]
        if not hours:
            return []
        weights = [HOURS[h] * seconds[h] / 3600 for h in hours]
        moments = []
        for hour in rng.choices(hours, weights=weights, k=count):
            second = rng.randrange(seconds[hour])
            moments.append(
                datetime(day.year, day.month, day.day, hour, second // 60, second % 60,
                         tzinfo=self.zone)
            )  # fmt: skip
        moments.sort()
        return moments

    def run(self) -> SeedSummary:
        started = time.monotonic()
        rng = self.rng
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # check keys row by row: no huge deferred queue
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.make_catalog()
        self.make_customers()
        self.write_customers()
        today = business_today()
        days = [today - timedelta(days=self.days - 1 - n) for n in range(self.days)]
        self.start_moment = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(),
                                             tzinfo=self.zone).replace(hour=7)  # fmt: skip
        self.latest = self.now - timedelta(minutes=1)
        weights = self._day_weights(days)
        # Today is only partly over: scale its weight by the share of its trading hours gone.
        local_now = self.now.astimezone(self.zone)
        done = sum(w for h, w in HOURS.items() if h < local_now.hour)
        done += HOURS.get(local_now.hour, 0) * local_now.minute / 60
        weights[-1] *= done / sum(HOURS.values())
        total_weight = sum(weights)
        if self.lines_target:
            per_weight = self.lines_target / total_weight
            targets = [("lines", round(w * per_weight)) for w in weights]
            self.avg_orders = self.lines_target / MEAN_LINES / self.days
        else:
            mean = total_weight / len(weights) if weights else 1
            targets = [("orders", round(self.orders_per_day * w / mean)) for w in weights]
            self.avg_orders = self.orders_per_day
        sequences = dict(OrderSequence.objects.filter(day__in=days).values_list("day", "last"))
        staff = self.staff
        branch_cum = list(accumulate(
            BRANCH_SHARES.get(b.code, 1 / len(self.branches)) for b in self.branches
        ))  # fmt: skip
        for day, (unit, target) in zip(days, targets, strict=True):
            count = target if unit == "orders" else round(target / MEAN_LINES * 1.05) + 5
            moments = self._times(day, count)
            number = sequences.get(day, 0)
            day_lines = 0
            for moment in moments:
                if unit == "lines" and day_lines >= target:
                    break
                self._apply_pending(moment)
                number += 1
                b = bisect(branch_cum, rng.random() * branch_cum[-1])
                branch = self.branches[b]
                people = staff[branch.id]
                cashier = rng.choice(people["cashiers"])
                day_lines += self._order(day, number, moment, b, cashier, people["manager"])
            if number:
                sequences[day] = number
            self.progress(1, self.summary.orders, self.summary.lines)
        self._apply_pending(None)
        for key, quantity in self.balance.items():
            p, b = key
            self.sink.add(
                StockLevel, (self.products[p].id, self.branches[b].id, quantity, False, self.now)
            )
        self.sink.flush()
        self.write_balances()
        existing = set(
            OrderSequence.objects.filter(day__in=sequences).values_list("day", flat=True)
        )
        OrderSequence.objects.bulk_create(
            [OrderSequence(day=d, last=n) for d, n in sequences.items() if d not in existing]
        )
        for d in existing:
            OrderSequence.objects.filter(day=d).update(last=sequences[d])
        # Statistics of the tables just copied (inside this transaction, so the sample sees the
        # new rows): with stale ones the rebuild's plan took minutes.
        analyze_seeded_tables()
        # The report rollup is kept by sales' own writes; bulk-written sales rebuild it.
        rollup.rebuild()
        self.summary.per_table = dict(self.sink.counts)
        self.summary.seconds = time.monotonic() - started
        return self.summary

    def _pick_products(self, n_lines: int) -> list[int]:
        rng, cum, top = self.rng, self.cum_weights, self.cum_weights[-1]
        picked: list[int] = []
        tries = 0
        while len(picked) < n_lines and tries < n_lines * 4:
            tries += 1
            p = bisect(cum, rng.random() * top)
            if p >= len(cum):
                p = len(cum) - 1
            if p not in picked:
                picked.append(p)
        return picked

    def _order(self, day: date, number: int, moment: datetime, b: int, cashier, manager) -> int:
        rng = self.rng
        n_lines = 1
        while n_lines < 12 and rng.random() < 0.6:
            n_lines += 1
        picked = self._pick_products(n_lines)
        quantities = [
            1
            if (r := rng.random()) < 0.75
            else 2
            if r < 0.92
            else 3
            if r < 0.97
            else rng.randint(4, 6)
            for _ in picked
        ]
        inputs = []
        for p, quantity in zip(picked, quantities, strict=True):
            product = self.products[p]
            discount = ZERO
            if rng.random() < 0.06:
                discount = quantize(product.price * quantity * Decimal("0.10"))
            inputs.append(LineInput(product.price, quantity, product.vat_rate, discount))
        order_discount = ZERO
        if rng.random() < 0.04:
            base = sum((quantize(i.unit_price * i.quantity) - i.discount for i in inputs), ZERO)
            order_discount = quantize(base * Decimal("0.05"))
        priced = price_order(
            inputs, order_discount=order_discount, prices_include_vat=self.include_vat
        )
        total = priced.total

        customer = rng.choice(self.customers)[0] if self.customers and rng.random() < 0.15 else None
        r = rng.random()
        if customer and r < 0.25:
            payments = [(CREDIT, total, total)]
        elif r < 0.40:
            tendered = _round_up(total)
            payments = [(CASH, tendered, total)]
        elif r < 0.88:
            payments = [(CARD, total, total)]
        elif r < 0.96:
            payments = [(MEAL_CARD, total, total)]
        else:
            card = quantize(total * Decimal(str(rng.uniform(0.3, 0.7))))
            cash_part = total - card
            payments = [(CARD, card, card), (CASH, _round_up(cash_part), cash_part)]  # fmt: skip
        paid = sum((p[1] for p in payments), ZERO)

        order_id = self.uuid()
        branch_id = self.branches[b].id
        # Decide now what happens to the order later, so its row carries its final status.
        status, cancelled_at, refund = COMPLETED, None, None
        chance = rng.random()
        if chance < CANCEL_RATE:
            later = moment + timedelta(minutes=rng.randint(2, 90))
            if later <= self.latest and later.astimezone(self.zone).date() == day:
                status, cancelled_at = CANCELLED, later
        elif chance < CANCEL_RATE + REFUND_RATE:
            later = moment + timedelta(minutes=rng.randint(10, 4 * 24 * 60))
            if later <= self.latest:
                line = rng.randrange(len(picked))
                quantity = rng.randint(1, quantities[line])
                refund = (later, line, quantity)
                fully = len(picked) == 1 and quantity == quantities[0]
                status = REFUNDED if fully else PARTIALLY_REFUNDED

        self.sink.add(
            Order,
            (order_id, f"ORD-{day:%Y%m%d}-{number:03d}", branch_id, cashier, customer, status,
             priced.subtotal, priced.discount, priced.tax, total, paid, paid - total,
             self.include_vat, "", day, moment.hour, moment, cancelled_at,
             "Customer changed their mind" if cancelled_at else ""),
        )  # fmt: skip
        item_ids = []
        for n, (p, line) in enumerate(zip(picked, priced.lines, strict=True)):
            product = self.products[p]
            item_id = self.uuid()
            item_ids.append(item_id)
            self.sink.add(
                OrderItem,
                (item_id, order_id, n + 1, product.id, product.name, product.barcode,
                 line.quantity, line.unit_price, product.cost_price, line.vat_rate, line.gross,
                 line.line_discount, line.order_discount_share, line.discount, line.net,
                 line.tax, line.total),
            )  # fmt: skip
            self._take(p, b, line.quantity, moment, order_id)
        for position, (method, amount, applied) in enumerate(payments):
            self.sink.add(Payment, (self.uuid(), order_id, position, method, amount, applied, None))
            if method == CREDIT and not cancelled_at:
                self.customer_balance[customer] += applied

        if cancelled_at:
            self._schedule(cancelled_at, CANCELLATION, [
                (p, b, line.quantity, order_id, manager)
                for p, line in zip(picked, priced.lines, strict=True)
            ])  # fmt: skip
            self.summary.cancelled += 1
        elif refund:
            later, index, quantity = refund
            line = priced.lines[index]
            if quantity == line.quantity:
                amount, tax = line.total, line.tax
            else:
                amount = quantize(line.total * quantity / line.quantity)
                tax = quantize(line.tax * quantity / line.quantity)
            method = payments[0][0] if len(payments) == 1 else CASH
            refund_id = self.uuid()
            local_later = later.astimezone(self.zone)
            self.sink.add(
                Refund,
                (refund_id, order_id, amount, tax, method, "Returned by customer", manager,
                 local_later.date(), local_later.hour, later),
            )  # fmt: skip
            self.sink.add(
                RefundItem, (self.uuid(), refund_id, item_ids[index], quantity, amount, tax)
            )
            if method == CREDIT:
                self.customer_balance[customer] -= amount
            self._schedule(later, RETURN,
                           [(picked[index], b, quantity, order_id, manager)])  # fmt: skip
            self.summary.refunds += 1
        self.summary.orders += 1
        self.summary.lines += len(picked)
        return len(picked)


def _round_up(amount: Decimal) -> Decimal:
    """What a customer hands over in cash: the amount rounded up to a 5, 10, 50 or 100 note."""
    step = Decimal(5 if amount < 20 else 10 if amount < 100 else 50 if amount < 500 else 100)
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


# --- resetting --------------------------------------------------------------------------------


def _delete(queryset) -> int:
    """DELETE ... WHERE pk IN (the queryset), in one statement: no rows loaded, no signals."""
    model = queryset.model
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608 - names only
            f"WHERE {quote(model._meta.pk.column)} IN ({sql})",
            params,
        )
        return cursor.rowcount


def delete_demo(*, branch_ids: list) -> dict:
    """Delete the demo catalog (SKU DEMO-...), the demo customers and every order of the demo
    branches or with a demo product or customer, with what hangs on them. Stock of other
    products at the demo branches is left alone (with its ledger)."""
    from sales.models import IdempotencyKey

    products = Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX)
    customers = Customer.objects.filter(email__endswith=f"@{DEMO_CUSTOMER_DOMAIN}")
    orders = Order.objects.filter(
        Q(branch_id__in=branch_ids)
        | Q(pk__in=OrderItem.objects.filter(product__in=products).values("order_id"))
        | Q(customer__in=customers)
    ).values("pk")
    deleted = {
        "refund items": _delete(RefundItem.objects.filter(refund__order__in=orders)),
        "refunds": _delete(Refund.objects.filter(order__in=orders)),
        "payments": _delete(Payment.objects.filter(order__in=orders)),
        "idempotency keys": _delete(IdempotencyKey.objects.filter(order__in=orders)),
        "order lines": _delete(OrderItem.objects.filter(order__in=orders)),
    }
    deleted["orders"] = _delete(Order.objects.filter(pk__in=orders))
    # The report rollups refer to the products and hold the deleted orders: recompute them.
    rollup.rebuild()
    deleted["movements"] = _delete(StockMovement.objects.filter(product__in=products))
    deleted["stock levels"] = _delete(StockLevel.objects.filter(product__in=products))
    deleted["products"] = _delete(products)
    deleted["customers"] = _delete(customers)
    OrderSequence.objects.exclude(day__in=Order.objects.values("business_date")).delete()
    empty = [name for name, *_ in CATEGORIES]
    Category.objects.filter(name__in=empty, products__isnull=True).delete()
    return {name: count for name, count in deleted.items() if count}


# --- checking ---------------------------------------------------------------------------------


def analyze_seeded_tables() -> None:
    """ANALYZE the seed's tables (PostgreSQL). Never the whole database: inside the seed's
    transaction that also locks the cluster's shared catalogs until it commits, and every other
    database's ANALYZE waits (CI's tests stalled behind a ten-million-line seed)."""
    if connection.vendor != "postgresql":
        return
    quote = connection.ops.quote_name
    tables = ", ".join(quote(model._meta.db_table) for model in SEEDED_MODELS)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {tables}")


def check_invariants() -> list[str]:
    """Problems found (empty when all hold): stock == sum of movements and never negative, no
    movements without a stock level, order totals == sum of their lines, payments applied ==
    total, every day's order sequence at or past its highest number, customer balances ==
    credit taken net of credit refunded, the product count (catalog.ProductCount) == the products,
    every branch-day's best sellers among its leaders (sales.ProductDayLeader) and its floor
    (sales.ProductDayThreshold) at most its 50th best seller's revenue.
    A handful of grouped queries, whatever the size."""
    from django.db.models import Exists, F, IntegerField, OuterRef, Subquery, Sum
    from django.db.models.functions import Cast, Coalesce, Round, Substr

    problems = []
    ledger = (
        StockMovement.objects.filter(product=OuterRef("product"), branch=OuterRef("branch"))
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = StockLevel.objects.annotate(ledger=Coalesce(Subquery(ledger), 0))
    if mismatched := levels.exclude(quantity=F("ledger")).count():
        problems.append(f"{mismatched} stock levels differ from the sum of their movements")
    if StockLevel.objects.filter(quantity__lt=0, allow_negative=False).exists():
        problems.append("negative stock")
    has_level = StockLevel.objects.filter(product=OuterRef("product"), branch=OuterRef("branch"))
    if StockMovement.objects.filter(~Exists(has_level)).exists():
        problems.append("movements without a stock level")

    def per_order(model, amount):
        return (
            model.objects.filter(order=OuterRef("pk"))
            .order_by()
            .values("order")
            .annotate(total=Sum(amount))
            .values("total")
        )

    # Round: SQLite sums decimals as floats.
    orders = Order.objects.annotate(
        lines=Round(Subquery(per_order(OrderItem, "line_total")), 2),
        applied=Round(Subquery(per_order(Payment, "applied_amount")), 2),
    )
    if bad := orders.exclude(total_amount=F("lines")).count():
        problems.append(f"{bad} orders whose total differs from their lines")
    if bad := orders.exclude(total_amount=F("applied")).count():
        problems.append(f"{bad} orders whose applied payments differ from the total")
    number = Cast(Substr("order_number", 14), IntegerField())
    tops = Order.objects.order_by().values("business_date").annotate(top=Max(number))
    sequences = dict(OrderSequence.objects.values_list("day", "last"))
    if behind := sum(1 for row in tops if sequences.get(row["business_date"], 0) < row["top"]):
        problems.append(f"{behind} days whose order sequence is behind their orders")

    credit = (
        Payment.objects.filter(order__customer=OuterRef("pk"), method=PaymentMethod.CREDIT)
        .exclude(order__status=OrderStatus.CANCELLED)
        .order_by()
        .values("order__customer")
        .annotate(total=Sum("applied_amount"))
        .values("total")
    )
    credit_back = (
        Refund.objects.filter(order__customer=OuterRef("pk"), method=PaymentMethod.CREDIT)
        .order_by()
        .values("order__customer")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    owing = Customer.objects.annotate(
        owed=Round(Coalesce(Subquery(credit), ZERO) - Coalesce(Subquery(credit_back), ZERO), 2)
    )
    if bad := owing.exclude(balance=F("owed")).count():
        problems.append(f"{bad} customers whose balance differs from their credit")

    counts = ProductCount.objects.filter(pk=1).values_list("products", "active").first()
    if counts is not None and counts != (
        Product.objects.count(),
        Product.objects.filter(is_active=True).count(),
    ):
        problems.append("the product count differs from the products")
    if missing := rollup.missing_leaders():
        problems.append(f"{missing} of the days' best sellers are not among their leaders")
    if high := rollup.floors_too_high():
        problems.append(f"the leaders' floor is above the 50th best seller on {high} branch-days")
    return problems

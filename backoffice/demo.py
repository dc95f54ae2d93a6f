"""The demo shop of `manage.py seed_demo`: branches and staff, a catalog, customers and N days of
sales, refunds and cancellations.

Sales follow the API's own rules, called, not copied: totals from sales.pricing.price_order,
order numbers from sales.services.format_order_number (per business day, in time order,
continuing a day's sequence), refund amounts from sales.pricing.refund_line and the refund
method from sales.services.refund_method_for. They are generated in memory in time order and
written with COPY, so a million order lines take minutes; every stock change has its ledger row
with its balance, and check_invariants() verifies the result before the command commits.

Every branch has two registers (K1, K2) whose cash sessions frame the sales: K1 runs a morning
and an evening shift, K2 one from late morning to evening, each opened by a cashier of the
branch with a float, who rings up the sales of that session and closes it with a count a little
over or short now and then. Sessions are opened and closed through sales.cash
(cash_session_open/close with the historic moment), so the Z reports are the service's own;
today's sessions still running stay open. Refunds and cancellations count in the session open
at their register (or another of their branch) when they happen, if any.

Sales follow a daily rhythm (08:00-23:00 with lunch and evening peaks), a weekly one (weekends
busier), a slow upward trend and noise; product popularity is Zipf-like; branches differ in size.
"""

import heapq
import itertools
import math
import random
import time
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from itertools import accumulate

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection
from django.db.models import AutoField, Exists, F, IntegerField, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Cast, Coalesce, Substr
from django.utils import timezone

from accounts.models import MANAGERS_GROUP, Branch, Role, User
from catalog.models import Category, MovementReason, Product, StockLevel, StockMovement
from pospro.clock import business_today, business_tz, local
from pospro.money import ZERO, quantize
from sales import cash, rollup
from sales.models import (
    CashMovement,
    CashSession,
    Customer,
    CustomerPayment,
    IdempotencyKey,
    Order,
    OrderItem,
    OrderSequence,
    OrderStatus,
    Payment,
    PaymentMethod,
    ProductSalesRollup,
    Refund,
    RefundItem,
    Register,
    SalesRollup,
)
from sales.pricing import LineInput, price_order, refund_line
from sales.services import format_order_number, refund_method_for

DEMO_SKU_PREFIX = "DEMO-"
DEMO_CUSTOMER_DOMAIN = "demo.pospro.local"
DEMO_PASSWORD = "PosPro-Demo-2025!"
DEMO_BRANCHES = [
    ("IST-01", "Istanbul Kadikoy", "Bagdat Cd. 101, Kadikoy, Istanbul", "+90 216 555 01 01"),
    ("ANK-01", "Ankara Cankaya", "Tunali Hilmi Cd. 55, Cankaya, Ankara", "+90 312 555 02 02"),
    ("IZM-01", "Izmir Alsancak", "Kibris Sehitleri Cd. 12, Konak, Izmir", "+90 232 555 03 03"),
    ("ANT-01", "Antalya Lara", "Lara Cd. 210, Muratpasa, Antalya", "+90 242 555 04 04"),
]
#: The logins the command prints; every branch also gets a manager and three cashiers.
DEMO_USERS = [
    ("admin@pospro.local", "Demo Admin", Role.ADMIN, None),
    ("manager@pospro.local", "Demo Manager", Role.MANAGER, "IST-01"),
    ("cashier@pospro.local", "Demo Cashier", Role.CASHIER, "IST-01"),
]
STAFF_NAMES = [
    "Ayse Yilmaz", "Mehmet Kaya", "Elif Demir", "Can Sahin", "Zeynep Celik", "Burak Yildiz",
    "Selin Aydin", "Emre Ozturk", "Deniz Arslan", "Merve Dogan", "Hakan Kilic", "Ece Aslan",
    "Onur Cetin", "Seda Kara", "Kerem Koc",
]  # fmt: skip
CASHIERS_PER_BRANCH = 3
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
BRANDS = ["Anadolu", "Bereket", "Kardelen", "Marmara", "Ege", "Toros", "Yayla", "Gunes", "Pinar",
          "Lale", "Nehir", "Ova", "Selin", "Defne", "Akdeniz", "Kuzey", "Tarla", "Ciftlik", "Koy",
          "Bahce"]  # fmt: skip
FIRST_NAMES = ["Ayse", "Mehmet", "Fatma", "Mustafa", "Emine", "Ahmet", "Hatice", "Ali", "Zeynep",
               "Huseyin", "Elif", "Hasan", "Merve", "Ibrahim", "Esra", "Can", "Deniz", "Ece",
               "Burak", "Selin"]  # fmt: skip
LAST_NAMES = ["Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Yildiz", "Yildirim", "Ozturk", "Aydin",
              "Ozdemir", "Arslan", "Dogan", "Kilic", "Aslan", "Cetin", "Kara", "Koc", "Kurt",
              "Ozkan"]  # fmt: skip
#: Orders per opening hour (local), relative.
HOURS = {8: 0.3, 9: 0.5, 10: 0.7, 11: 0.9, 12: 1.3, 13: 1.2, 14: 0.8, 15: 0.75, 16: 0.85,
         17: 1.15, 18: 1.4, 19: 1.3, 20: 0.9, 21: 0.55, 22: 0.25}  # fmt: skip
WEEKDAYS = [0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2]  # Monday first
BRANCH_SHARES = {"IST-01": 0.34, "ANK-01": 0.26, "IZM-01": 0.22, "ANT-01": 0.18}
MEAN_LINES = 2.45  # 1 + a geometric(0.4) tail capped at 11 extra lines
MEAN_QUANTITY = 1.35
REFUND_RATE, CANCEL_RATE = 0.02, 0.006
#: After which days (0 = the first) the seed refreshes its tables' statistics as they grow.
ANALYZE_AFTER_DAYS = {0, 3, 10, 30}
#: Registers per branch and their opening float.
DEMO_REGISTERS = [("K1", "Front till", Decimal("500.00")), ("K2", "Second till", Decimal("300.00"))]
#: What the seed writes: the tables whose statistics analyze_seeded_tables() refreshes.
SEEDED_MODELS = (
    Branch, Category, Product, StockLevel, StockMovement, Customer, Order, OrderItem,
    OrderSequence, Payment, Refund, RefundItem, SalesRollup, ProductSalesRollup, CashSession,
)  # fmt: skip


# --- branches and staff -------------------------------------------------------------------------


def demo_people() -> list[tuple[str, str, str, str | None]]:
    """(email, name, role, branch code): the printed logins plus a manager and three cashiers
    for every branch, so reports have people to compare."""
    people = list(DEMO_USERS)
    names = iter(STAFF_NAMES)
    for code, *_ in DEMO_BRANCHES:
        slug = code.lower().replace("-", "")
        if code != "IST-01":
            people.append((f"manager.{slug}@pospro.local", next(names), Role.MANAGER, code))
        have = sum(1 for p in people if p[2] == Role.CASHIER and p[3] == code)
        for n in range(have + 1, CASHIERS_PER_BRANCH + 1):
            people.append((f"cashier{n}.{slug}@pospro.local", next(names), Role.CASHIER, code))
    return people


def demo_branches_ensure() -> list[Branch]:
    return [
        Branch.objects.get_or_create(
            code=code, defaults={"name": name, "address": address, "phone": phone}
        )[0]
        for code, name, address, phone in DEMO_BRANCHES
    ]


def demo_staff_ensure(*, branches: list[Branch], reset: bool) -> dict:
    """Create the missing demo users (with --reset, restore every one's password and role).
    Returns {branch id: {"cashiers": [user ids], "manager": user id}}."""
    by_code = {b.code: b for b in branches}
    password = make_password(DEMO_PASSWORD)  # one slow hash for everyone
    people = demo_people()
    existing = {u.email: u for u in User.objects.filter(email__in=[p[0] for p in people])}
    new = []
    for email, name, role, code in people:
        if email in existing and not reset:
            continue
        user = existing.get(email) or User(email=email, name=name)
        user.password, user.role, user.branch = password, role, by_code.get(code)
        user.is_active, user.is_staff = True, role in (Role.ADMIN, Role.MANAGER)
        user.is_superuser = role == Role.ADMIN
        if email in existing:
            user.save()
        else:
            new.append(user)
    User.objects.bulk_create(new)
    users = sorted(User.objects.filter(email__in=[p[0] for p in people]), key=lambda u: u.email)
    for group in Group.objects.filter(name=MANAGERS_GROUP):
        group.user_set.add(*[u for u in users if u.role == Role.MANAGER])
    staff = {b.pk: {"cashiers": [], "manager": None} for b in branches}
    for user in users:
        if user.branch_id in staff and user.role == Role.CASHIER:
            staff[user.branch_id]["cashiers"].append(user.pk)
        elif user.branch_id in staff and user.role == Role.MANAGER:
            staff[user.branch_id]["manager"] = user.pk
    return staff


def demo_registers_ensure(*, branches: list[Branch], staff: dict) -> dict:
    """K1 and K2 at every demo branch, made by the branch's manager through sales.cash.
    Returns {branch id: {code: Register}}."""
    managers = User.objects.in_bulk([staff[b.pk]["manager"] for b in branches])
    registers = {b.pk: {} for b in branches}
    for register in Register.objects.filter(branch__in=branches):
        registers[register.branch_id][register.code] = register
    for branch in branches:
        for code, name, _ in DEMO_REGISTERS:
            if code not in registers[branch.pk]:
                registers[branch.pk][code] = cash.register_create(
                    actor=managers[staff[branch.pk]["manager"]], code=code, name=name,
                    branch_id=branch.pk,
                )  # fmt: skip
    return registers


# --- writing in bulk ------------------------------------------------------------------------------


def copy_objects(model, objs: list) -> None:
    """Write unsaved model instances with COPY: a tenth of bulk_create's time at a million rows."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([getattr(obj, f.attname) for f in fields])


# --- the generator --------------------------------------------------------------------------------


def ean13(body: str) -> str:
    """12 digits + the EAN-13 check digit."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def cash_tendered(amount: Decimal) -> Decimal:
    """What a customer hands over in cash: the amount rounded up to a 5, 10, 50 or 100 note."""
    step = Decimal(5 if amount < 20 else 10 if amount < 100 else 50 if amount < 500 else 100)
    return (amount / step).to_integral_value(rounding=ROUND_CEILING) * step


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
        self.branches, self.staff = branches, staff
        self.days, self.n_products, self.n_customers = days, products, customers
        self.orders_per_day, self.lines_target = orders_per_day, lines
        self.progress = progress or (lambda *args: None)
        self.rows: dict = defaultdict(list)  # model -> instances not written yet
        self.summary: Counter = Counter(days=days)
        self.zone = business_tz()
        self.now = timezone.now()
        self.latest = self.now - timedelta(minutes=1)
        self.include_vat = settings.POSPRO_PRICES_INCLUDE_VAT
        # Heap of (time, seq, what, payload): stock coming back (what = its movement reason,
        # payload [(p, b, quantity, order, user)]), a refund, or a cash session's open/close.
        self.pending: list = []
        self.seq = itertools.count()
        self.sessions: dict = {}  # branch index -> {register code: its open CashSession}
        self.closing: dict = {}  # session id -> when it will close (None: stays open)
        self.balance: dict = {}  # (product index, branch index) -> stock
        self.owed: dict = defaultdict(lambda: ZERO)  # customer id -> balance

    def _add(self, obj):
        self.rows[type(obj)].append(obj)
        return obj

    def _write(self) -> None:
        """COPY what was generated, parents first (keys are checked row by row)."""
        for model in (Order, OrderItem, Payment, Refund, RefundItem, StockMovement, StockLevel):
            if rows := self.rows.pop(model, None):
                copy_objects(model, rows)

    def make_catalog(self) -> None:
        rng = self.rng
        categories = {
            name: Category.objects.filter(name__iexact=name).first()
            or Category.objects.create(name=name)
            for name, *_ in CATEGORIES
        }
        self.products, names, n = [], set(), 0
        while len(self.products) < self.n_products:
            n += 1
            cat, vat, (low, high), items, sizes = rng.choice(CATEGORIES)
            name = f"{rng.choice(BRANDS)} {rng.choice(items)} {rng.choice(sizes)}"
            name = f"{name} #{n}" if name in names else name
            names.add(name)
            price = Decimal(str(round(math.exp(rng.uniform(math.log(low), math.log(high))), 1)))
            price = max(price - Decimal("0.01"), Decimal("1.99"))
            self.products.append(Product(
                name=name, barcode=ean13(f"869{n:09d}"), sku=f"{DEMO_SKU_PREFIX}{n:06d}",
                category=categories[cat], price=price, vat_rate=Decimal(vat),
                cost_price=quantize(price * Decimal(str(rng.uniform(0.55, 0.8)))),
                critical_stock_level=rng.choice([5, 5, 10, 10, 15, 20]),
            ))  # fmt: skip
        Product.objects.bulk_create(self.products, batch_size=2000)
        # Zipf-like popularity, shuffled so it does not follow creation order.
        weights = [1 / (rank + 1) ** 0.9 for rank in range(len(self.products))]
        rng.shuffle(weights)
        self.cum_weights = list(accumulate(weights))
        self.share = [w / self.cum_weights[-1] for w in weights]
        self.summary["products"] = len(self.products)

    def make_customers(self) -> None:
        rng = self.rng
        self.customers = Customer.objects.bulk_create([
            Customer(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                email=f"customer{i + 1}@{DEMO_CUSTOMER_DOMAIN}",
                phone=f"+90 5{rng.randrange(30, 60)} {rng.randrange(100, 1000)} "
                f"{rng.randrange(1000, 10000)}",
            )
            for i in range(self.n_customers)
        ], batch_size=2000)  # fmt: skip
        self.summary["customers"] = len(self.customers)

    # stock ----------------------------------------------------------------------------------------

    def _move(self, p, b, quantity, reason, moment, order_id=None, user_id=None) -> None:
        self.balance[p, b] += quantity
        self._add(StockMovement(
            product_id=self.products[p].pk, branch_id=self.branches[b].pk, quantity=quantity,
            balance_after=self.balance[p, b], reason=reason, order_id=order_id, user_id=user_id,
            created_at=moment,
        ))  # fmt: skip
        self.summary["movements"] += 1

    def _take(self, p: int, b: int, quantity: int, moment: datetime, order_id) -> None:
        """A sale of `quantity`: the opening stock on first use, a purchase when running low."""
        share = BRANCH_SHARES.get(self.branches[b].code, 1 / len(self.branches))
        daily = max(self.avg_orders * share * MEAN_LINES * MEAN_QUANTITY * self.share[p], 0.2)
        critical = self.products[p].critical_stock_level
        if (p, b) not in self.balance:
            self.balance[p, b] = 0
            opening = max(critical + quantity + 2, round(daily * self.rng.uniform(6, 14)))
            self._move(p, b, opening, MovementReason.INITIAL, self.opening)
        left = self.balance[p, b] - quantity
        if left < 0 or (left <= critical and self.rng.random() < 0.85):
            purchase = max(critical * 2, round(daily * self.rng.uniform(7, 14))) + quantity
            manager = self.staff[self.branches[b].pk]["manager"]
            before = moment - timedelta(microseconds=1)
            self._move(p, b, purchase, MovementReason.STOCK_PURCHASE, before, user_id=manager)
        self._move(p, b, -quantity, MovementReason.SALE, moment, order_id)

    def _later(self, moment: datetime, what: str, payload) -> None:
        """What happens after the sale (stock coming back, a refund) or around it (a cash
        session opening or closing), in time order."""
        heapq.heappush(self.pending, (moment, next(self.seq), what, payload))

    def _apply_pending(self, before: datetime | None) -> None:
        while self.pending and (before is None or self.pending[0][0] < before):
            moment, _, what, payload = heapq.heappop(self.pending)
            if what == "open":
                self._open_session(moment, *payload)
            elif what == "close":
                self._close_session(moment, *payload)
            elif what == "refund":
                self._refund(moment, *payload)
            else:
                for p, b, quantity, order_id, user_id in payload:
                    self._move(p, b, quantity, what, moment, order_id, user_id)

    # cash sessions --------------------------------------------------------------------------------

    def _plan_sessions(self, day: date) -> None:
        """The day's shifts at every branch: K1 07:45-15:30 and 15:35-23:10, K2 10:50-20:00
        (give or take minutes), cashiers taking turns by day. Today's shifts still running
        are opened but not closed."""
        rng = self.rng
        for b, branch in enumerate(self.branches):
            cashiers = self.staff[branch.pk]["cashiers"]
            turn = day.toordinal() % len(cashiers)

            def at(hour: int, minute: int) -> datetime:
                return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.zone)

            handover = at(15, 20) + timedelta(minutes=rng.randint(0, 20))
            shifts = [
                ("K1", at(7, 45) + timedelta(minutes=rng.randint(0, 10)), handover),
                ("K1", handover + timedelta(minutes=rng.randint(2, 8)),
                 at(23, 5) + timedelta(minutes=rng.randint(0, 15))),
                ("K2", at(10, 50) + timedelta(minutes=rng.randint(0, 10)),
                 at(19, 50) + timedelta(minutes=rng.randint(0, 20))),
            ]  # fmt: skip
            for n, (code, opening, closing) in enumerate(shifts):
                if opening > self.latest:
                    continue
                cashier = cashiers[(turn + n) % len(cashiers)]
                stays_open = closing > self.latest
                self._later(opening, "open", (b, code, cashier, None if stays_open else closing))
                if not stays_open:
                    self._later(closing, "close", (b, code))

    def _open_session(self, moment: datetime, b: int, code: str, cashier, closing) -> None:
        branch = self.branches[b]
        opening_float = next(f for c, _, f in DEMO_REGISTERS if c == code)
        session = cash.cash_session_open(
            actor=self.users[cashier], register_id=self.registers[branch.pk][code].pk,
            opening_float=opening_float, at=moment,
        )  # fmt: skip
        self.sessions.setdefault(b, {})[code] = session
        self.closing[session.pk] = closing
        self.summary["sessions"] += 1

    def _close_session(self, moment: datetime, b: int, code: str) -> None:
        """Count the drawer: what the X report expects, mostly to the cent, sometimes a few
        kuruş or lira out (more often short than over)."""
        session = self.sessions[b].pop(code)
        self._write()  # the session's sales and refunds, before its report reads them
        expected = cash.session_report(session)["expected_cash"]
        r, rng = self.rng.random(), self.rng
        if r < 0.7:
            delta = ZERO
        elif r < 0.9:
            delta = Decimal(rng.randint(1, 40)) * Decimal("0.05")
        else:
            delta = Decimal(rng.randint(1, 10))
        if rng.random() < 0.65:
            delta = -delta
        cash.cash_session_close(
            actor=self.users[session.opened_by_id], session_id=session.pk,
            counted_cash=max(expected + delta, ZERO), at=moment,
        )  # fmt: skip

    def _session_at(self, b: int, moment: datetime, prefer=None):
        """The open session a sale, refund or cancellation at branch `b` goes through: the
        preferred register's if it is open, else any open one at random; None when none is."""
        open_now = self.sessions.get(b) or {}
        if prefer is not None and prefer in open_now:
            return open_now[prefer]
        if not open_now:
            return None
        return open_now[self.rng.choice(sorted(open_now))]

    # sales ----------------------------------------------------------------------------------------

    def _times(self, day: date, count: int) -> list[datetime]:
        """`count` sale times on `day` by the hourly rhythm, in order; today's before now."""
        limit = local(self.latest)
        seconds = dict.fromkeys(HOURS, 3600)
        if day == limit.date():
            seconds = {
                h: min(3600, max(0, (limit.hour - h) * 3600 + limit.minute * 60)) for h in HOURS
            }
        hours = [h for h in HOURS if seconds[h]]
        if not hours:
            return []
        weights = [HOURS[h] * seconds[h] / 3600 for h in hours]
        moments = []
        for hour in self.rng.choices(hours, weights=weights, k=count):
            second = self.rng.randrange(seconds[hour])
            start = datetime(day.year, day.month, day.day, hour, tzinfo=self.zone)
            moments.append(start + timedelta(seconds=second))
        return sorted(moments)

    def _pick_products(self, n_lines: int) -> list[int]:
        picked: list[int] = []
        for _ in range(n_lines * 4):
            p = min(bisect(self.cum_weights, self.rng.random() * self.cum_weights[-1]),
                    len(self.products) - 1)  # fmt: skip
            if p not in picked:
                picked.append(p)
            if len(picked) == n_lines:
                break
        return picked

    def _payments(self, total: Decimal, customer) -> list[tuple[str, Decimal, Decimal]]:
        """(method, tendered, applied) per payment; cash is tendered in notes, applied net of
        change."""
        r = self.rng.random()
        if customer and r < 0.25:
            return [(PaymentMethod.CREDIT, total, total)]
        if r < 0.40:
            return [(PaymentMethod.CASH, cash_tendered(total), total)]
        if r < 0.88:
            return [(PaymentMethod.CARD, total, total)]
        if r < 0.96:
            return [(PaymentMethod.MEAL_CARD, total, total)]
        card = quantize(total * Decimal(str(self.rng.uniform(0.3, 0.7))))
        cash = total - card
        return [(PaymentMethod.CARD, card, card), (PaymentMethod.CASH, cash_tendered(cash), cash)]

    def _order(self, day: date, number: int, moment: datetime, b: int) -> int:
        """One sale at branch `b`, with what happens to it later; returns its number of lines."""
        rng, branch = self.rng, self.branches[b]
        n_lines = 1
        while n_lines < 12 and rng.random() < 0.6:
            n_lines += 1
        picked = self._pick_products(n_lines)
        inputs = []
        for p in picked:
            product, r = self.products[p], rng.random()
            quantity = 1 if r < 0.75 else 2 if r < 0.92 else 3 if r < 0.97 else rng.randint(4, 6)
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
        customer = rng.choice(self.customers).pk if self.customers and rng.random() < 0.15 else None
        payments = self._payments(priced.total, customer)
        paid = sum((tendered for _, tendered, _ in payments), ZERO)
        session = self._session_at(b, moment)
        register = session.register_id if session else None
        cashier = session.opened_by_id if session else rng.choice(self.staff[branch.pk]["cashiers"])
        manager = self.staff[branch.pk]["manager"]

        # Decide now what happens to the order later, so its row carries its final status.
        status, cancelled_at, refund = OrderStatus.COMPLETED, None, None
        chance = rng.random()
        if chance < CANCEL_RATE:
            later = moment + timedelta(minutes=rng.randint(2, 90))
            if later <= self.latest and local(later).date() == day:
                status, cancelled_at = OrderStatus.CANCELLED, later
        elif chance < CANCEL_RATE + REFUND_RATE:
            later = moment + timedelta(minutes=rng.randint(10, 4 * 24 * 60))
            if later <= self.latest:
                index = rng.randrange(len(picked))
                refund = (later, index, rng.randint(1, inputs[index].quantity))
                whole = len(picked) == 1 and refund[2] == inputs[0].quantity
                status = OrderStatus.REFUNDED if whole else OrderStatus.PARTIALLY_REFUNDED

        order = self._add(Order(
            order_number=format_order_number(day, number), branch_id=branch.pk,
            cashier_id=cashier, customer_id=customer, status=status, subtotal=priced.subtotal,
            discount_amount=priced.discount, tax_amount=priced.tax, total_amount=priced.total,
            paid_amount=paid, change_due=paid - priced.total, prices_include_vat=self.include_vat,
            business_date=day, business_hour=moment.hour, created_at=moment,
            cancelled_at=cancelled_at, cancel_reason="Changed their mind" if cancelled_at else "",
            cash_session_id=session.pk if session else None,
        ))  # fmt: skip
        if cancelled_at and session:
            closing = self.closing[session.pk]
            if closing is None or cancelled_at < closing:  # cancelled before its drawer closes
                order.cancel_session_id = session.pk
        items = []
        for n, (p, line) in enumerate(zip(picked, priced.lines, strict=True), start=1):
            product = self.products[p]
            items.append(self._add(OrderItem(
                order_id=order.pk, line_no=n, product_id=product.pk, name=product.name,
                barcode=product.barcode, quantity=line.quantity, unit_price=line.unit_price,
                unit_cost=product.cost_price, vat_rate=line.vat_rate, gross_amount=line.gross,
                line_discount=line.line_discount, order_discount_share=line.order_discount_share,
                discount_amount=line.discount, net_amount=line.net, tax_amount=line.tax,
                line_total=line.total,
            )))  # fmt: skip
            self._take(p, b, line.quantity, moment, order.pk)
        for position, (method, tendered, applied) in enumerate(payments):
            self._add(Payment(order_id=order.pk, position=position, method=method,
                              amount=tendered, applied_amount=applied))  # fmt: skip
            if method == PaymentMethod.CREDIT and not cancelled_at:
                self.owed[customer] += applied

        if cancelled_at:
            changes = [
                (p, b, it.quantity, order.pk, manager) for p, it in zip(picked, items, strict=True)
            ]
            self._later(cancelled_at, MovementReason.CANCELLATION, changes)
            self.summary["cancelled"] += 1
        elif refund:
            later, index, quantity = refund
            item = items[index]
            amount, tax = refund_line(
                total=item.line_total, tax=item.tax_amount, sold=item.quantity, quantity=quantity
            )
            method = refund_method_for([m for m, _, _ in payments])
            row = Refund(
                order_id=order.pk, amount=amount, tax_amount=tax, method=method,
                reason="Returned by customer", user_id=manager, created_at=later,
                business_date=local(later).date(), business_hour=local(later).hour,
            )  # fmt: skip
            line = RefundItem(refund_id=row.pk, order_item_id=item.pk, quantity=quantity,
                              amount=amount, tax_amount=tax)  # fmt: skip
            self._later(later, "refund", (b, register, row, line))
            if method == PaymentMethod.CREDIT:
                self.owed[customer] -= amount
            changes = [(picked[index], b, quantity, order.pk, manager)]
            self._later(later, MovementReason.RETURN, changes)
            self.summary["refunds"] += 1
        self.summary["orders"] += 1
        self.summary["lines"] += len(picked)
        return len(picked)

    def _refund(self, moment: datetime, b: int, register, row: Refund, line: RefundItem) -> None:
        """A refund is written when it happens, in the session then open at the sale's
        register (or another of the branch), if any."""
        session = self._session_at(b, moment, prefer=self._register_codes.get(register))
        row.cash_session_id = session.pk if session else None
        self._add(row)
        self._add(line)

    def run(self) -> Counter:
        started, rng = time.monotonic(), self.rng
        with connection.cursor() as cursor:  # check keys row by row: no huge deferred queue
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self.make_catalog()
        self.make_customers()
        self.registers = demo_registers_ensure(branches=self.branches, staff=self.staff)
        self._register_codes = {
            r.pk: code for by_code in self.registers.values() for code, r in by_code.items()
        }
        self.users = User.objects.in_bulk(
            [pk for people in self.staff.values() for pk in people["cashiers"]]
        )
        today = business_today()
        days = [today - timedelta(days=n) for n in range(self.days - 1, -1, -1)]
        self.opening = datetime.combine(days[0] - timedelta(days=1), datetime.min.time(),
                                        tzinfo=self.zone).replace(hour=7)  # fmt: skip
        weights = [
            WEEKDAYS[day.weekday()] * (1 + 0.15 * n / max(len(days) - 1, 1)) * rng.gauss(1, 0.07)
            for n, day in enumerate(days)
        ]
        # Today is only partly over: scale its weight by the share of its trading hours gone.
        now = local(self.now)
        done = sum(w for h, w in HOURS.items() if h < now.hour)
        weights[-1] *= (done + HOURS.get(now.hour, 0) * now.minute / 60) / sum(HOURS.values())
        # Seeding only today before its first trading hour gives every weight 0: no sales.
        total_weight = sum(weights) or 1
        if self.lines_target:
            targets = [round(w * self.lines_target / total_weight) for w in weights]
            self.avg_orders = self.lines_target / MEAN_LINES / self.days
        else:
            targets = [
                round(self.orders_per_day * w * len(weights) / total_weight) for w in weights
            ]
            self.avg_orders = self.orders_per_day
        sequences = dict(OrderSequence.objects.filter(day__in=days).values_list("day", "last"))
        branch_cum = list(accumulate(
            BRANCH_SHARES.get(b.code, 1 / len(self.branches)) for b in self.branches
        ))  # fmt: skip
        for n_day, (day, target) in enumerate(zip(days, targets, strict=True)):
            count = round(target / MEAN_LINES * 1.05) + 5 if self.lines_target else target
            number, day_lines = sequences.get(day, 0), 0
            self._plan_sessions(day)
            for moment in self._times(day, count):
                if self.lines_target and day_lines >= target:
                    break
                self._apply_pending(moment)
                number += 1
                b = bisect(branch_cum, rng.random() * branch_cum[-1])
                day_lines += self._order(day, number, moment, b)
            if number:
                sequences[day] = number
            self._write()
            if n_day in ANALYZE_AFTER_DAYS:
                # The session reports read freshly copied tables: without statistics their
                # plans scan whole tables, and a close took 40 ms instead of a few.
                analyze_seeded_tables()
            self.progress(1, self.summary["orders"], self.summary["lines"])
        self._apply_pending(None)
        for (p, b), quantity in self.balance.items():
            self._add(StockLevel(product_id=self.products[p].pk, branch_id=self.branches[b].pk,
                                 quantity=quantity, updated_at=self.now))  # fmt: skip
        self._write()
        Customer.objects.bulk_update(
            [Customer(pk=pk, balance=owed) for pk, owed in self.owed.items() if owed],
            ["balance"],
            batch_size=500,
        )
        for day, last in sequences.items():
            OrderSequence.objects.update_or_create(day=day, defaults={"last": last})
        # Statistics of the tables just copied (inside this transaction, so the sample sees the
        # new rows): with stale ones the rebuild's plan took minutes.
        analyze_seeded_tables()
        # The report rollups are kept by the sales' own writes; bulk-written sales rebuild them.
        rollup.rebuild()
        self.summary["seconds"] = time.monotonic() - started
        return self.summary


# --- resetting and checking -------------------------------------------------------------------


def delete_demo(*, branch_ids: list) -> dict:
    """Delete the demo catalog (SKU DEMO-...), the demo customers and every order of the demo
    branches or with a demo product or customer, with what hangs on them. Stock of other
    products at the demo branches is left alone (with its ledger)."""
    products = Product.objects.filter(sku__startswith=DEMO_SKU_PREFIX)
    customers = Customer.objects.filter(email__endswith=f"@{DEMO_CUSTOMER_DOMAIN}")
    orders = Order.objects.filter(
        Q(branch_id__in=branch_ids)
        | Q(pk__in=OrderItem.objects.filter(product__in=products).values("order_id"))
        | Q(customer__in=customers)
    ).values("pk")
    deleted = [
        _delete(RefundItem.objects.filter(refund__order__in=orders)),
        _delete(Refund.objects.filter(order__in=orders)),
        _delete(Payment.objects.filter(order__in=orders)),
        _delete(IdempotencyKey.objects.filter(order__in=orders)),
        _delete(OrderItem.objects.filter(order__in=orders)),
        _delete(Order.objects.filter(pk__in=orders)),
        _delete(CustomerPayment.objects.filter(customer__in=customers)),
        _delete(CashMovement.objects.filter(session__branch_id__in=branch_ids)),
        _delete(CashSession.objects.filter(branch_id__in=branch_ids)),
    ]
    # The report rollups refer to the products and hold the deleted orders: recompute them.
    rollup.rebuild()
    deleted += [
        _delete(StockMovement.objects.filter(product__in=products)),
        _delete(StockLevel.objects.filter(product__in=products)),
        _delete(products),
        _delete(customers),
    ]
    OrderSequence.objects.exclude(day__in=Order.objects.values("business_date")).delete()
    Category.objects.filter(name__in=[c[0] for c in CATEGORIES], products__isnull=True).delete()
    return dict(item for item in deleted if item[1])


def _delete(queryset) -> tuple[str, int]:
    """DELETE ... WHERE pk IN (the queryset) in one statement. QuerySet.delete() loads every row
    that other rows protect (a million order lines) and deletes them a hundred at a time."""
    model = queryset.model
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {quote(model._meta.db_table)} "  # noqa: S608 - names only
            f"WHERE {quote(model._meta.pk.column)} IN ({sql})",
            params,
        )
        return model._meta.verbose_name_plural, cursor.rowcount


def analyze_seeded_tables() -> None:
    """ANALYZE the seed's tables. Never the whole database: inside the seed's transaction that
    also locks the cluster's shared catalogs until it commits, and every other database's
    ANALYZE waits (CI's tests stalled behind a ten-million-line seed)."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(quote(m._meta.db_table) for m in SEEDED_MODELS))


def _per_order(model, amount: str) -> Subquery:
    return Subquery(
        model.objects.filter(order=OuterRef("pk"))
        .order_by()
        .values("order")
        .annotate(total=Sum(amount))
        .values("total")
    )


def check_invariants() -> list[str]:
    """Problems found (empty when all hold): stock == sum of movements and never negative, no
    movements without a stock level, order totals == sum of their lines, payments applied ==
    total, every day's order sequence at or past its highest number, customer balances ==
    credit taken net of credit refunded. A handful of grouped queries, whatever the size."""
    problems = []
    ledger = (
        StockMovement.objects.filter(product=OuterRef("product"), branch=OuterRef("branch"))
        .order_by()
        .values("product")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = StockLevel.objects.annotate(ledger=Coalesce(Subquery(ledger), 0))
    if bad := levels.exclude(quantity=F("ledger")).count():
        problems.append(f"{bad} stock levels differ from the sum of their movements")
    if StockLevel.objects.filter(quantity__lt=0, allow_negative=False).exists():
        problems.append("negative stock")
    has_level = StockLevel.objects.filter(product=OuterRef("product"), branch=OuterRef("branch"))
    if StockMovement.objects.filter(~Exists(has_level)).exists():
        problems.append("movements without a stock level")

    orders = Order.objects.annotate(
        lines=_per_order(OrderItem, "line_total"), applied=_per_order(Payment, "applied_amount")
    )
    if bad := orders.exclude(total_amount=F("lines")).count():
        problems.append(f"{bad} orders whose total differs from their lines")
    if bad := orders.exclude(total_amount=F("applied")).count():
        problems.append(f"{bad} orders whose applied payments differ from the total")
    number = Cast(Substr("order_number", 14), IntegerField())  # after "ORD-YYYYMMDD-"
    tops = Order.objects.order_by().values("business_date").annotate(top=Max(number))
    sequences = dict(OrderSequence.objects.values_list("day", "last"))
    if behind := sum(1 for row in tops if sequences.get(row["business_date"], 0) < row["top"]):
        problems.append(f"{behind} days whose order sequence is behind their orders")

    def by_customer(queryset, amount):
        return Coalesce(
            Subquery(
                queryset.filter(order__customer=OuterRef("pk"), method=PaymentMethod.CREDIT)
                .order_by()
                .values("order__customer")
                .annotate(total=Sum(amount))
                .values("total")
            ),
            ZERO,
        )

    credit = by_customer(
        Payment.objects.exclude(order__status=OrderStatus.CANCELLED), "applied_amount"
    )
    owing = Customer.objects.annotate(owed=credit - by_customer(Refund.objects.all(), "amount"))
    if bad := owing.exclude(balance=F("owed")).count():
        problems.append(f"{bad} customers whose balance differs from their credit")
    return problems

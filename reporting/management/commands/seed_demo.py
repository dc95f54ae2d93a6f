"""Fill the database with demo data: branches, staff (one user per role printed), and a catalog,
customers and N days of sales (see reporting.seeding). Idempotent: a second run only makes sure
the branches and users are there; --reset seeds the demo catalog and sales again."""

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts.models import MANAGERS_GROUP, Branch, Role, User
from catalog.cache import invalidate_on_commit
from catalog.models import Product
from reporting import seeding
from reporting.cache import labels_changed_on_commit

DEMO_PASSWORD = "PosPro-Demo-2025!"
DEMO_BRANCHES = [
    ("IST-01", "Istanbul Kadikoy", "Bagdat Cd. 101, Kadikoy, Istanbul", "+90 216 555 01 01"),
    ("ANK-01", "Ankara Cankaya", "Tunali Hilmi Cd. 55, Cankaya, Ankara", "+90 312 555 02 02"),
    ("IZM-01", "Izmir Alsancak", "Kibris Sehitleri Cd. 12, Konak, Izmir", "+90 232 555 03 03"),
    ("ANT-01", "Antalya Lara", "Lara Cd. 210, Muratpasa, Antalya", "+90 242 555 04 04"),
]
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


def _staff() -> list[tuple[str, str, str, str]]:
    """(email, name, role, branch code): the printed demo users plus a manager and three
    cashiers for every branch, so reports have people to compare."""
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


class Command(BaseCommand):
    help = (
        "Create demo branches and staff and, unless already there, a demo catalog, customers and "
        "days of sales (idempotent; --reset seeds them again). Prints the demo credentials."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Reset demo users' passwords and roles, delete the demo catalog, customers and "
            "the sales of the demo branches, then seed them again.",
        )
        parser.add_argument(
            "--days", type=int, help="Days of sales up to today (default 30; 90 with --lines)."
        )
        parser.add_argument(
            "--products", type=int, default=200, help="Demo products (default 200)."
        )
        parser.add_argument(
            "--orders-per-day",
            type=int,
            default=80,
            help="Average orders a day over all branches (default 80).",
        )
        parser.add_argument(
            "--lines",
            type=int,
            help="Total order lines to make instead (e.g. 1000000); overrides --orders-per-day.",
        )
        parser.add_argument("--customers", type=int, help="Demo customers (default products/4).")
        parser.add_argument("--seed", type=int, default=2025, help="Random seed (default 2025).")

    def handle(self, *args, reset: bool = False, **options):
        days = options["days"] or (90 if options["lines"] else 30)
        if days < 1 or options["products"] < 1 or (options["lines"] or 0) < 0:
            raise CommandError("--days and --products must be at least 1.")
        customers = options["customers"]
        if customers is None:
            customers = max(20, options["products"] // 4)
        with transaction.atomic():
            branches = self._branches()
            staff = self._users(branches, reset=reset)
            if reset:
                deleted = seeding.delete_demo(branch_ids=[b.pk for b in branches])
                self.stdout.write(f"Deleted the previous demo data: {deleted}.")
            if Product.objects.filter(sku__startswith=seeding.DEMO_SKU_PREFIX).exists():
                self.stdout.write(
                    "The demo catalog and sales are already there (--reset seeds them again)."
                )
            else:
                self._seed(branches, staff, {**options, "days": days, "customers": customers})
            labels_changed_on_commit()
            invalidate_on_commit()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for email, _, role, branch_code in DEMO_USERS:
            where = f" ({branch_code})" if branch_code else ""
            self.stdout.write(f"  {role:<8} {email:<24} {DEMO_PASSWORD}{where}")
        extra = len(_staff()) - len(DEMO_USERS)
        self.stdout.write(f"  (and {extra} more managers and cashiers, same password)")

    def _branches(self) -> list[Branch]:
        branches = []
        for code, name, address, phone in DEMO_BRANCHES:
            branch, _ = Branch.objects.get_or_create(
                code=code, defaults={"name": name, "address": address, "phone": phone}
            )
            branches.append(branch)
        return branches

    def _users(self, branches: list[Branch], *, reset: bool) -> dict:
        by_code = {b.code: b for b in branches}
        password = make_password(DEMO_PASSWORD)  # one slow hash for everyone
        existing = {u.email: u for u in User.objects.filter(email__endswith="@pospro.local")}
        new = []
        for email, name, role, code in _staff():
            user, branch = existing.get(email), by_code.get(code)
            if user is None:
                new.append(
                    User(
                        email=email,
                        name=name,
                        role=role,
                        branch=branch,
                        password=password,
                        is_staff=role in (Role.ADMIN, Role.MANAGER),
                        is_superuser=role == Role.ADMIN,
                    )
                )
            elif reset:
                user.password = password
                user.role, user.branch, user.is_active = role, branch, True
                user.is_staff = role in (Role.ADMIN, Role.MANAGER)
                user.is_superuser = role == Role.ADMIN
                user.save()
        User.objects.bulk_create(new)
        users = list(User.objects.filter(email__in=[p[0] for p in _staff()]))
        managers = [u for u in users if u.role == Role.MANAGER]
        for group in Group.objects.filter(name=MANAGERS_GROUP):
            group.user_set.add(*managers)
        staff = {b.pk: {"cashiers": [], "manager": None} for b in branches}
        for user in sorted(users, key=lambda u: u.email):
            if user.branch_id in staff and user.role == Role.CASHIER:
                staff[user.branch_id]["cashiers"].append(user.pk)
            elif user.branch_id in staff and user.role == Role.MANAGER:
                staff[user.branch_id]["manager"] = user.pk
        return staff

    def _seed(self, branches, staff, options: dict) -> None:
        verbose = options["verbosity"] > 0
        ending, self.stderr.ending = self.stderr.ending, ""  # tqdm writes partial lines
        with tqdm(
            total=options["days"],
            unit="day",
            file=self.stderr,
            disable=not verbose,
            mininterval=0.5,
        ) as bar:

            def progress(step: int, orders: int, lines: int) -> None:
                bar.update(step)
                bar.set_postfix(orders=orders, lines=lines, refresh=False)

            summary = seeding.Seeder(
                branches=branches,
                staff=staff,
                days=options["days"],
                products=options["products"],
                customers=options["customers"],
                orders_per_day=options["orders_per_day"],
                lines=options["lines"],
                seed=options["seed"],
                progress=progress,
            ).run()
        self.stderr.ending = ending
        # Statistics first (the rollups are new too): the invariant checks' plans on freshly
        # copied tables without them took minutes on a million lines.
        seeding.analyze_seeded_tables()
        problems = seeding.check_invariants()
        if problems:
            raise CommandError("Seeded data breaks invariants: " + "; ".join(problems))
        self.stdout.write(
            f"Seeded {summary.products} products, {summary.customers} customers and "
            f"{summary.orders} orders ({summary.lines} lines, {summary.refunds} refunds, "
            f"{summary.cancelled} cancelled) over {summary.days} days in "
            f"{summary.seconds:.1f} s; stock ledger {summary.movements} movements. "
            "Invariants hold."
        )

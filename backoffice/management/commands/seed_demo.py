"""Fill the database with the demo shop (backoffice.demo). Idempotent: a second run only makes sure
the branches and users are there; --reset seeds the demo catalog and sales again."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from backoffice import demo
from catalog.cache import invalidate_on_commit
from catalog.models import Product
from reporting.cache import labels_changed_on_commit


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
            branches = demo.demo_branches_ensure()
            staff = demo.demo_staff_ensure(branches=branches, reset=reset)
            if reset:
                deleted = demo.delete_demo(branch_ids=[b.pk for b in branches])
                self.stdout.write(f"Deleted the previous demo data: {deleted}.")
            if Product.objects.filter(sku__startswith=demo.DEMO_SKU_PREFIX).exists():
                self.stdout.write(
                    "The demo catalog and sales are already there (--reset seeds them again)."
                )
            else:
                self._seed(branches, staff, {**options, "days": days, "customers": customers})
            labels_changed_on_commit()
            invalidate_on_commit()
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in with:"))
        for email, _, role, branch_code in demo.DEMO_USERS:
            where = f" ({branch_code})" if branch_code else ""
            self.stdout.write(f"  {role:<8} {email:<24} {demo.DEMO_PASSWORD}{where}")
        extra = len(demo.demo_people()) - len(demo.DEMO_USERS)
        self.stdout.write(f"  (and {extra} more managers and cashiers, same password)")

    def _seed(self, branches, staff, options: dict) -> None:
        ending, self.stderr.ending = self.stderr.ending, ""  # tqdm writes partial lines
        with tqdm(
            total=options["days"],
            unit="day",
            file=self.stderr,
            disable=options["verbosity"] == 0,
            mininterval=0.5,
        ) as bar:

            def progress(step: int, orders: int, lines: int) -> None:
                bar.update(step)
                bar.set_postfix(orders=orders, lines=lines, refresh=False)

            summary = demo.Seeder(
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
        # Statistics first (the rollups are new too): without them the checks' plans on freshly
        # copied tables took minutes on a million lines.
        demo.analyze_seeded_tables()
        if problems := demo.check_invariants():
            raise CommandError("Seeded data breaks invariants: " + "; ".join(problems))
        self.stdout.write(
            "Seeded {products} products, {customers} customers and {orders} orders ({lines} "
            "lines, {refunds} refunds, {cancelled} cancelled) over {days} days in {seconds:.1f} s; "
            "stock ledger {movements} movements; {sessions} cash sessions. Invariants "
            "hold.".format_map(summary)
        )

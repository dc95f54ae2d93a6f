"""Time every report's queries on the current database (uncached), and EXPLAIN the slowest.

    manage.py time_reports                      # reference day: yesterday (a full day)
    manage.py time_reports --day 2026-11-28 --runs 7 --explain

Each report runs once to warm up, then --runs times; the table shows the median and the
slowest run in milliseconds, for one branch (what a manager asks) and for every branch.
"""

import statistics
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Branch
from pospro.clock import business_today
from reporting import selectors
from reporting.dashboard import sales_figures


def reports(day: date, branch_id) -> list[tuple[str, Callable]]:
    month, last30, b = day.replace(day=1), day - timedelta(days=29), {"branch_id": branch_id}
    return [
        ("orders/stats (1 day)", partial(selectors.order_stats, start=day, end=day, **b)),
        ("daily", partial(selectors.daily_report, day=day, **b)),
        ("weekly", partial(selectors.weekly_report, end=day, **b)),
        ("monthly", partial(selectors.monthly_report, month=month, today=day, **b)),
        ("products (1 day)", partial(selectors.product_report, start=day, end=day, **b)),
        ("products (30 days)", partial(selectors.product_report, start=last30, end=day, **b)),
        ("cashiers (1 day)", partial(selectors.cashier_report, start=day, end=day, **b)),
        ("cashiers (30 days)", partial(selectors.cashier_report, start=last30, end=day, **b)),
        ("dashboard figures", partial(sales_figures, today=day, **b)),
    ]


def admin_only(day: date) -> list[tuple[str, Callable]]:
    last30 = day - timedelta(days=29)
    return [
        ("branches (1 day)", partial(selectors.branch_report, start=day, end=day)),
        ("branches (30 days)", partial(selectors.branch_report, start=last30, end=day)),
    ]


class Command(BaseCommand):
    help = "Time each report's queries (uncached) and EXPLAIN ANALYZE the slowest query."

    def add_arguments(self, parser):
        parser.add_argument("--day", type=date.fromisoformat, help="Reference business day.")
        parser.add_argument(
            "--branch", default="IST-01", help="Branch code for the one-branch run."
        )
        parser.add_argument("--runs", type=int, default=5)
        parser.add_argument("--explain", action="store_true", help="EXPLAIN the slowest query.")

    def handle(self, *args, **options):
        day = options["day"] or business_today() - timedelta(days=1)
        branch = Branch.objects.filter(code=options["branch"]).first()
        if branch is None:
            raise CommandError(f"No branch {options['branch']} (--branch CODE).")
        runs = max(1, options["runs"])
        rows, slowest = [], (-1.0, "", "")  # timings are rounded to 1 ms: 0.000 still counts
        one = dict(reports(day, branch.pk))
        every = dict(reports(day, None) + admin_only(day))
        for name in every:
            cells = []
            for scope, table in ((branch.code, one), ("all", every)):
                if name not in table:
                    cells.append(None)
                    continue
                table[name]()  # warm up
                times = []
                for _ in range(runs):
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        table[name]()
                        times.append((time.perf_counter() - started) * 1000)
                    for query in queries.captured_queries:
                        if float(query["time"]) * 1000 > slowest[0]:
                            slowest = (
                                float(query["time"]) * 1000,
                                f"{name} ({scope})",
                                query["sql"],
                            )
                cells.append((statistics.median(times), max(times), len(queries.captured_queries)))
            rows.append((name, *cells))

        self.stdout.write(
            f"Reference day {day}, {runs} runs, milliseconds (median / max), queries\n"
        )
        self.stdout.write(
            f"| report | {branch.code}: median | max | queries | all: median | max | queries |"
        )
        self.stdout.write("|---|---:|---:|---:|---:|---:|---:|")
        for name, mine, everyone in rows:
            parts = []
            for cell in (mine, everyone):
                parts += (
                    ["-", "-", "-"]
                    if cell is None
                    else [f"{cell[0]:.1f}", f"{cell[1]:.1f}", str(cell[2])]
                )
            self.stdout.write(f"| {name} | " + " | ".join(parts) + " |")
        if options["explain"] and slowest[2]:
            self.stdout.write(f"\nSlowest query: {slowest[1]}, {slowest[0]:.1f} ms\n")
            self.stdout.write(slowest[2] + "\n")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + slowest[2])
                for (line,) in cursor.fetchall():
                    self.stdout.write(line)

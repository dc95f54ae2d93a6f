"""PosPro bench: seed a data set, run the app the production way, load it with wrk, check targets.

    python bench/run.py                         # 10,000 products, 1,000,000 order lines
    python bench/run.py --ab 80df89f            # the till's hot paths, this tree against 80df89f
    python bench/run.py --lines 10000000 --only reports      # reports on ten million lines
    python bench/run.py --products 100000 --only catalog     # a 100,000-product catalog
    python bench/run.py --smoke                 # tiny data, short runs: CI checks nothing errors

Everything runs on loopback: gunicorn (DJANGO_DEBUG=false, DJANGO_SETTINGS_MODULE=bench.settings)
against PostgreSQL and Redis, loaded by wrk. Data sets are seeded once with `manage.py seed_demo`.
Results are printed and saved as JSON under bench/results/; the exit status is 1 when a request
errors or a target is missed (with --smoke, only when a figure is 3x off its target).
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import psutil

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua" / "bench.lua"
PYTHON = sys.executable
DEMO_PASSWORD = "PosPro-Demo-2025!"
SECRET = "bench-only-secret-4f8a1c9e7b2d6a3f5e0c8b1d9a7e2f4c6b3a5d8e1f0c9b2a7d4e6f8a1c3b5"

HOT = ("barcode_cached", "detail_cached", "list50_cached", "post_order")  # the till's; A/B
REPORTS = ("orders_stats", "report_daily", "report_weekly", "report_monthly", "report_products",
           "report_cashiers", "report_branches")  # fmt: skip
CATALOG = ("catalog_first", "catalog_skip", "catalog_category", "catalog_search",
           "catalog_low_stock", "catalog_low_stock_all", "catalog_sync",
           "catalog_sync_mid")  # fmt: skip
CACHED = (*HOT, "raw_order", "orders_list")  # measured with the app's caches on
GROUPS = {"hot": HOT, "cached": CACHED, "reports": REPORTS, "catalog": CATALOG}

# figure: (target, meaning). "ab_" figures are floors (this tree's throughput over the --ab
# commit's, c=16, POSTs c=8); the others are ceilings, p50 in ms at c=1.
TARGETS = {
    "detail_cached": (5, "cached product detail"),
    "barcode_cached": (5, "barcode scan"),
    "list50": (10, "list of 50, cached and uncached"),
    "post_order": (50, "POST /orders"),
    "report_daily": (15, "daily report, uncached"),
    "reports": (20, "slowest report, uncached (x1.5 from 10M lines)"),
    "catalog": (30, "slowest catalog page, uncached: list pages, search, low stock"),
    **{f"ab_{name}": (0.75, f"{name} throughput / the --ab commit's") for name in HOT},
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd, *, cwd=ROOT, env=None, check=True, capture=False) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd, cwd=cwd, env={**os.environ, **(env or {})}, check=check, text=True,
        capture_output=capture,
    )  # fmt: skip


def psql(sql: str, url: str) -> str:
    return run(["psql", url, "-tAc", sql], capture=True).stdout.strip()


def http(method: str, url: str, body=None, token=None) -> tuple[int, dict | list | None]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode() if body is not None else None, method=method
    )
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def cpu_seconds(processes) -> float:
    total = 0.0
    for proc in processes:
        try:
            times = proc.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
        except psutil.Error:
            pass
    return total


def named_cpu_seconds(names: tuple[str, ...]) -> float:
    return cpu_seconds(
        p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith(names)
    )


@dataclass
class Load:
    token: str
    paths: list[str]
    bodies: list[dict] | None = None
    conc: tuple[int, ...] = (1, 16)


class App:
    """gunicorn serving one source tree on loopback, and the loads of its data set."""

    def __init__(self, tree: Path, env: dict, workers: int, threads: int, label: str = ""):
        self.tree, self.label, self.loads = tree, label, {}
        self.log_path, self.log_read, self.late_errors = Path(tempfile.mkstemp()[1]), 0, 0
        with socket.create_server(("127.0.0.1", 0)) as sock:
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.metrics_dir = tempfile.mkdtemp(prefix="pospro-bench-prom-")
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": str(workers),
            "GUNICORN_THREADS": str(threads),
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
            "PROMETHEUS_MULTIPROC_DIR": self.metrics_dir,
        }

    def __enter__(self):
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pospro.wsgi:application"],
                cwd=self.tree,
                env={**os.environ, **self.env},
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    log(self.log_path.read_text()[-3000:])
                    raise SystemExit(f"gunicorn{self.label} did not start") from None
                time.sleep(0.2)

    def __exit__(self, *exc):
        self.late_errors = self.server_errors()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)
        self.log_path.unlink()

    def server_errors(self) -> int:
        """5xx answers logged since the last call (django.request logs them at ERROR), those
        that wrk left in flight at the end of its run included, which it does not count."""
        with self.log_path.open(errors="replace") as f:
            f.seek(self.log_read)
            text, self.log_read = f.read(), f.tell()
        found = [ln for ln in text.splitlines() if "django.request" in ln and "ERROR" in ln]
        for line in found[:3]:
            log(f"  server error{self.label}: {line[:300]}")
        return len(found)

    def cpu_seconds(self) -> float:
        master = psutil.Process(self.process.pid)
        return cpu_seconds([master, *master.children(recursive=True)])

    def login(self, role: str) -> str:
        email = f"{role}@pospro.local"
        status, body = http(
            "POST", f"{self.base}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD}
        )
        if status != 200:
            raise SystemExit(f"login {email}{self.label} failed: {status} {body}")
        return body["access_token"]

    def prepare(self, skip: int, sell: bool) -> None:
        """Log in, read the data set, and stock the products POST /orders sells."""
        cashier, manager, admin = (self.login(r) for r in ("cashier", "manager", "admin"))
        url = self.env["DATABASE_URL"]
        # md5(sku): the same spread of products in two data sets seeded alike (--ab).
        ids = psql(
            "SELECT id FROM catalog_product WHERE is_active ORDER BY md5(sku) LIMIT 1000", url
        ).split()
        barcode = psql(
            "SELECT barcode FROM catalog_product WHERE is_active AND barcode IS NOT NULL "
            "ORDER BY md5(sku) LIMIT 1",
            url,
        )
        category = psql(  # the largest category: the dearest filtered page
            "SELECT c.name FROM catalog_category c JOIN catalog_product p ON p.category_id = c.id "
            "GROUP BY c.name ORDER BY count(*) DESC, c.name LIMIT 1",
            url,
        )
        word = psql(  # an item's name, e.g. "chicken" out of "Brand Chicken breast 1 kg"
            "SELECT lower(split_part(name, ' ', 2)) FROM catalog_product ORDER BY md5(sku) LIMIT 1",
            url,
        )
        middle = psql(  # a sync's cursor half way: the median product's time and id
            "SELECT to_json(updated_at) #>> '{}', id FROM catalog_product ORDER BY updated_at, id "
            "OFFSET (SELECT count(*) / 2 FROM catalog_product) LIMIT 1",
            url,
        ).split("|")
        bodies, raw_bodies, p = [], [], "/api/v1/products"
        if sell:
            stock = {"quantity": 1_000_000, "reason": "stock_purchase"}
            for pid in ids[:60]:
                status, answer = http("PATCH", f"{self.base}{p}/{pid}/stock", stock, manager)
                if status >= 300:
                    raise SystemExit(f"stocking {pid}{self.label} failed: {status} {answer}")
            _, me = http("GET", f"{self.base}/api/v1/auth/me", token=cashier)
            for start in range(0, 60, 3):
                items = [{"product_id": pid, "quantity": 1} for pid in ids[start : start + 3]]
                bodies.append(
                    {"items": items, "payments": [{"method": "cash", "amount": 1_000_000}]}
                )
                raw_bodies.append({"branch_id": me["branch_id"], "cashier_id": me["id"],
                                   "items": items})  # fmt: skip
        pages = {  # name: (token, path), each loaded at c=1 only
            "orders_stats": (manager, "/api/v1/orders/stats"),
            **{
                name: (admin if name == "report_branches" else manager,
                       f"/api/v1/reports/{name.removeprefix('report_')}")
                for name in REPORTS[1:]
            },
            "catalog_first": (cashier, f"{p}?limit=50"),
            "catalog_skip": (cashier, f"{p}?skip={skip}&limit=50"),
            "catalog_category": (cashier, f"{p}?category={quote(category)}&limit=50"),
            "catalog_search": (cashier, f"{p}?search={quote(word)}&limit=50"),
            "catalog_low_stock": (manager, f"{p}/low-stock?limit=50"),
            "catalog_low_stock_all": (admin, f"{p}/low-stock?limit=50"),  # every branch's rows
            "catalog_sync": (cashier, f"{p}?updated_since=2000-01-01T00:00:00Z&limit=100"),
            "catalog_sync_mid": (cashier, f"{p}?updated_since={quote(middle[0])}"
                                          f"&after_id={middle[-1]}&limit=100"),
        }  # fmt: skip
        self.loads = {
            "barcode_cached": Load(cashier, [f"{p}/barcode/{barcode}"]),
            "detail_cached": Load(cashier, [f"{p}/{ids[0]}"]),
            "list50_cached": Load(cashier, [f"{p}?limit=50"]),
            "post_order": Load(cashier, ["/api/v1/orders"], bodies, (1, 8)),
            "raw_order": Load("", ["/bench/raw-order"], raw_bodies, (1, 8)),
            "orders_list": Load(manager, ["/api/v1/orders?limit=20"]),
            "detail_uncached": Load(cashier, [f"{p}/{i}" for i in ids]),
            "list50_uncached": Load(cashier, [f"{p}?limit=50"]),
            **{name: Load(token, [path], conc=(1,)) for name, (token, path) in pages.items()},
        }


def cpu_now(app: App) -> tuple[float, float, float]:
    """CPU seconds so far of the app, of PostgreSQL and of Redis (work done there counts too)."""
    postgres = named_cpu_seconds(("postgres", "postmaster"))
    return app.cpu_seconds(), postgres, named_cpu_seconds(("redis-server",))


def wrk(app: App, load: Load, concurrency: int, seconds: float, files: dict) -> dict:
    before = cpu_now(app)
    result = run(
        ["wrk", f"-t{1 if concurrency == 1 else 2}", f"-c{concurrency}",
         f"-d{max(1, int(seconds))}s", "--timeout", "10s", "-s", str(LUA), app.base],
        env={**files, "BENCH_TOKEN": load.token, "BENCH_NONCE": uuid.uuid4().hex[:8],
             "BENCH_METHOD": "POST" if load.bodies else "GET"},
        capture=True,
    )  # fmt: skip
    after = cpu_now(app)
    time.sleep(0.2)  # for the requests in flight when wrk stopped
    server_errors = app.server_errors()
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    per_request = 1e6 / max(data["requests"], 1)
    app_us, pg_us, redis_us = ((a - b) * per_request for a, b in zip(after, before, strict=True))
    data.update(
        rps=round(data["requests"] / (data["duration_us"] / 1e6), 1),
        app_cpu_us=round(app_us, 1),
        pg_cpu_us=round(pg_us, 1),
        redis_cpu_us=round(redis_us, 1),
        server_errors=server_errors,
        errors=data["socket_errors"] + max(data["non2xx"], server_errors),
    )
    return data


def measure_round(apps: list[App], names, args, tmp: Path, rounds: dict, round_no: int) -> None:
    """Every endpoint once on every app, the apps' order alternating by round (--ab)."""
    for name in names:
        for app in apps if round_no % 2 else apps[::-1]:
            load = app.loads[name]
            key = f"{name}{app.label}"
            files = {"BENCH_PATHS": str(tmp / f"{key}.paths")}
            Path(files["BENCH_PATHS"]).write_text("\n".join(load.paths) + "\n")
            if load.bodies:
                files["BENCH_BODIES"] = str(tmp / f"{key}.bodies")
                Path(files["BENCH_BODIES"]).write_text(
                    "\n".join(json.dumps(b) for b in load.bodies) + "\n"
                )
            body = load.bodies[0] if load.bodies else None
            status, _ = http("POST" if body else "GET", app.base + load.paths[0], body, load.token)
            if status >= 400:
                log(f"  {key}: warm-up request answered {status}")
            row = {f"c{c}": wrk(app, load, c, args.seconds, files) for c in load.conc}
            for conc, data in row.items():
                rounds.setdefault(key, {}).setdefault(conc, []).append(data)
            first, last = row[f"c{load.conc[0]}"], row[f"c{load.conc[-1]}"]
            log(
                f"  {key:<28} p50 {first['p50_us'] / 1000:7.2f} ms  rps(c{load.conc[-1]}) "
                f"{last['rps']:8.1f}  errors {sum(r['errors'] for r in row.values())}"
            )


def merge_rounds(row: dict) -> dict:
    """One figure per concurrency out of the rounds': medians; errors and requests summed."""
    merged = {}
    for conc, runs in row.items():
        out = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for key in ("requests", "errors", "socket_errors", "non2xx", "server_errors"):
            out[key] = sum(r[key] for r in runs)
        merged[conc] = {**out, "rounds": len(runs), "rps_by_round": [r["rps"] for r in runs]}
    return merged


def prepare_database(tree: Path, env: dict, args) -> None:
    url = env["DATABASE_URL"]
    admin_url, name = url.rsplit("/", 1)
    admin_url += "/postgres"
    if args.reseed:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin_url)
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", admin_url):
        psql(f"CREATE DATABASE {name}", admin_url)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=tree, env=env)
    if args.no_seed:
        return
    lines = int(psql("SELECT count(*) FROM sales_orderitem", url) or 0)
    products = int(psql("SELECT count(*) FROM catalog_product", url) or 0)
    if abs(lines - args.lines) > args.lines * 0.05 or abs(products - args.products) > 50:
        log(f"seeding {name}: {args.products} products, {args.lines} order lines ...")
        run([PYTHON, "manage.py", "seed_demo", "--reset", "--products", str(args.products),
             "--lines", str(args.lines)], cwd=tree, env=env)  # fmt: skip
        psql("VACUUM ANALYZE", url)


@contextmanager
def worktree(commit: str):
    """The commit's sources in a temporary git worktree, run by this interpreter (this venv's
    requirements are a superset of an older commit's)."""
    path = Path(tempfile.mkdtemp(prefix="pospro-ab-")) / commit
    run(["git", "worktree", "add", "--detach", "--quiet", str(path), commit])
    try:
        yield path
    finally:
        run(["git", "worktree", "remove", "--force", str(path)], check=False)
        shutil.rmtree(path.parent, ignore_errors=True)


def figures(ep: dict, args) -> dict:
    def p50(*names):
        found = [ep[n]["c1"]["p50_us"] / 1000 for n in names if n in ep]
        return round(max(found), 2) if found else None

    out = {
        "detail_cached": p50("detail_cached"),
        "barcode_cached": p50("barcode_cached"),
        "list50": p50("list50_cached", "list50_uncached"),
        "post_order": p50("post_order"),
        "report_daily": p50("report_daily"),
        "reports": p50(*REPORTS),
        "catalog": p50(*CATALOG),
    }
    for name in HOT:  # the median of each round's ratio: a round's noise hits both sides
        conc = "c8" if name == "post_order" else "c16"
        old = ep.get(f"{name}@{args.ab}", {}).get(conc)
        if old and name in ep:
            pairs = zip(ep[name][conc]["rps_by_round"], old["rps_by_round"], strict=True)
            out[f"ab_{name}"] = round(statistics.median(a / max(b, 0.1) for a, b in pairs), 2)
    return {name: value for name, value in out.items() if value is not None}


def target(name: str, args) -> float:
    scale = 1.5 if name == "reports" and args.lines >= 10_000_000 else 1
    return TARGETS[name][0] * scale


def verdict(results: dict, args) -> int:
    slack = 3.0 if args.smoke else 1.0
    failures = [
        f"{name}: {errors} errors"
        for name, row in results["endpoints"].items()
        if (errors := sum(r["errors"] for r in row.values()))
    ]
    if results["late_server_errors"]:
        failures.append(f"{results['late_server_errors']} server errors after the last load")
    for name, value in results["figures"].items():
        goal = target(name, args)
        ok = value * slack >= goal if name.startswith("ab_") else value <= goal * slack
        if not ok:
            failures.append(f"{name} = {value} (target {goal}, slack x{slack})")
    for failure in failures:
        log(f"FAIL {failure}")
    return 1 if failures else 0


def table(results: dict, args) -> str:
    lines = [
        f"{'endpoint':<28}{'conc':>5}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'app us':>9}{'pg us':>9}{'redis us':>9}{'errors':>8}"
    ]
    for name, row in results["endpoints"].items():
        for conc, r in row.items():
            lines.append(
                f"{name:<28}{conc[1:]:>5}{r['rps']:>9.1f}{r['p50_us'] / 1000:>9.2f}"
                f"{r['p95_us'] / 1000:>9.2f}{r['p99_us'] / 1000:>9.2f}{r['app_cpu_us']:>9.0f}"
                f"{r['pg_cpu_us']:>9.0f}{r['redis_cpu_us']:>9.0f}{r['errors']:>8}"
            )
    lines += ["", f"{'figure':<26}{'value':>10}{'target':>10}  meaning"]
    for name, value in results["figures"].items():
        floor = ">=" if name.startswith("ab_") else "<="
        goal = f"{floor} {target(name, args):g}"
        lines.append(f"{name:<26}{value:>10}{goal:>10}  {TARGETS[name][1]}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=3.0, help="per endpoint and round")
    parser.add_argument(
        "--rounds", type=int, default=3,
        help="every endpoint is measured once a round, the rounds interleaved; figures are the "
        "medians (a noisy machine shifts a whole round, not one endpoint against another)",
    )  # fmt: skip
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--workers", type=int, default=os.environ.get("GUNICORN_WORKERS", 2 * cores)
    )
    parser.add_argument("--threads", type=int, default=os.environ.get("GUNICORN_THREADS", 2))
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pospro_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the data set again")
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--smoke", action="store_true", help="tiny data set, short runs (CI)")
    parser.add_argument(
        "--only", default="", help=f"endpoints or groups, comma-separated ({', '.join(GROUPS)})"
    )
    parser.add_argument(
        "--ab", metavar="COMMIT",
        help="measure the till's hot paths against COMMIT too, both servers in one run, "
        "interleaved (COMMIT's own tree, settings and data set: database <name>_<COMMIT>)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.smoke:
        args.lines, args.products, args.seconds, args.rounds = 3000, 300, 1.0, 1
        if args.database_url.endswith("/pospro_bench"):
            args.database_url += "_smoke"
    wanted = [n for part in args.only.split(",") if part for n in GROUPS.get(part, (part,))]
    every = (*CACHED, "detail_uncached", "list50_uncached", *REPORTS, *CATALOG)
    names = [n for n in every if n in wanted] if wanted else list(HOT if args.ab else every)
    cached = [n for n in names if n in CACHED]
    uncached = [n for n in names if n not in CACHED]
    if args.ab and set(names) - set(HOT):
        raise SystemExit(f"--ab compares the till's hot paths only: --only {','.join(HOT)}")

    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "POSPRO_CACHE_PREFIX": "bench",
        "POSPRO_THROTTLE_USER": "100000000/min",
        "POSPRO_THROTTLE_LOGIN": "100000/min",
        "POSPRO_LOG_LEVEL": "WARNING",
    }
    shape = {"workers": args.workers, "threads": args.threads}
    skip = args.products * 99 // 100  # skip=99000 on 100,000 products
    tmp = Path(tempfile.mkdtemp(prefix="pospro-bench-"))
    rounds: dict = {}
    apps: list[App] = []
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, tmp, ignore_errors=True)
        sides = [(ROOT, env, "")]
        if args.ab:
            # Its own database: this tree's migrations drop tables the older code still writes.
            # Its own settings (pospro.settings) and cache prefix; the same seed command.
            commit = run(["git", "rev-parse", "--short", args.ab], capture=True).stdout.strip()
            args.ab = commit
            old_env = {**env, "DJANGO_SETTINGS_MODULE": "pospro.settings",
                       "DATABASE_URL": f"{args.database_url}_{commit}",
                       "POSPRO_CACHE_PREFIX": f"bench-{commit}"}  # fmt: skip
            sides.append((stack.enter_context(worktree(commit)), old_env, f"@{commit}"))
        for tree, side_env, _ in sides:
            prepare_database(tree, side_env, args)
        run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture=True)

        if cached:
            with ExitStack() as servers:
                apps += [servers.enter_context(App(t, e, **shape, label=lb)) for t, e, lb in sides]
                for app in apps:
                    app.prepare(skip, sell=bool({"post_order", "raw_order"} & set(cached)))
                for round_no in range(1, args.rounds + 1):
                    log(
                        f"cached, {args.workers} workers x {args.threads} threads, round {round_no}"
                    )
                    measure_round(apps, cached, args, tmp, rounds, round_no)
        if uncached:  # the same app with its read caches off (TTL 0), reports included
            with App(ROOT, {**env, "POSPRO_CACHE_TTL": "0"}, **shape) as app:
                apps.append(app)
                app.prepare(skip, sell=False)
                for round_no in range(1, args.rounds + 1):
                    log(f"uncached (POSPRO_CACHE_TTL=0), round {round_no}")
                    measure_round([app], uncached, args, tmp, rounds, round_no)

    results = {"endpoints": {name: merge_rounds(row) for name, row in rounds.items()}}
    results["late_server_errors"] = sum(app.late_errors for app in apps)  # after the last load
    results["figures"] = figures(results["endpoints"], args)
    results["meta"] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        **{k: getattr(args, k) for k in ("lines", "products", "seconds", "rounds", "ab", "smoke")},
        **shape,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"{'smoke' if args.smoke else 'bench'}-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    print(table(results, args))
    print(f"\nsaved {out.relative_to(ROOT)}")
    return verdict(results, args)


if __name__ == "__main__":
    sys.exit(main())

"""PosPro bench: seed a data set, run the app the production way, load it with wrk, compare.

    python bench/run.py                 # 10,000 products, 1,000,000 order lines (seeded once)
    python bench/run.py --lines 10000000
    python bench/run.py --smoke         # tiny data, short runs: CI checks nothing errors

Everything runs on loopback: gunicorn (DJANGO_DEBUG=false) against PostgreSQL and Redis. Each
endpoint is loaded at concurrency 1 and 16; the floors (/health, a bare Django view, a raw
psycopg query, pgbench) are measured in the same run, so the results are ratios that survive a
noisy machine. Results are printed and saved as JSON under bench/results/.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "lua" / "bench.lua"
PYTHON = sys.executable
DEMO_PASSWORD = "PosPro-Demo-2025!"
SECRET = "bench-only-secret-4f8a1c9e7b2d6a3f5e0c8b1d9a7e2f4c6b3a5d8e1f0c9b2a7d4e6f8a1c3b5"

# name: (target ratio, description). Ratios are CPU time per request unless said otherwise.
TARGETS = {
    "cached_detail_vs_health": (2.0, "cached product detail CPU/req <= 2x /health"),
    "barcode_vs_health": (2.0, "cached barcode lookup CPU/req <= 2x /health"),
    "uncached_detail_vs_raw": (2.5, "uncached product detail CPU/req <= 2.5x raw psycopg view"),
    "list50_vs_values": (1.5, "list of 50 CPU/req <= 1.5x .values()+orjson view"),
    "order_vs_raw_sql": (3.0, "POST /orders CPU/req <= 3x raw-SQL transaction"),
    "order_tps_vs_pgbench": (0.2, "POST /orders throughput at c=8 >= 0.2x pgbench tpcb-like"),
    "auth_overhead_us": (250.0, "auth + throttling + metrics <= 250 us CPU over a bare view"),
    "report_p50_ms": (20.0, "every report <= 20 ms p50 uncached (c=1)"),
}
SMOKE_AUTH_PAIRS = 7  # measurements of the bare and authed views in a smoke run
# Printed beside the ratios, checked against nothing.
INFORMATION = {
    "auth_overhead_drf_us": "the same checks through DRF's request cycle, over a bare view",
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(cmd, *, env=None, check=True, capture=False, timeout=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        cmd,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        check=check,
        text=True,
        capture_output=capture,
        timeout=timeout,
    )


def psql(sql: str, url: str) -> str:
    return run(["psql", url, "-tAc", sql], capture=True).stdout.strip()


# --- HTTP helpers ----------------------------------------------------------------------------


def http(method: str, url: str, body=None, token=None) -> tuple[int, dict | list | None]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            raw = response.read()
            return response.status, (json.loads(raw) if raw else None)
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def login(base: str, email: str) -> str:
    status, body = http(
        "POST", f"{base}/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD}
    )
    if status != 200:
        raise SystemExit(f"login {email} failed: {status} {body}")
    return body["access_token"]


# --- processes and CPU -----------------------------------------------------------------------


class Server:
    """gunicorn on loopback, production settings."""

    def __init__(self, env: dict, workers: int, threads: int):
        self.port = _free_port()
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
        self.process = None

    def __enter__(self):
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pospro.wsgi:application"],
            cwd=ROOT,
            env={**os.environ, **self.env},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/health", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def cpu_seconds(self) -> float:
        master = psutil.Process(self.process.pid)
        total = 0.0
        for proc in [master, *master.children(recursive=True)]:
            try:
                times = proc.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                pass
        return total


def _named_cpu_seconds(names: tuple[str, ...], *, children: bool = False) -> float:
    total = 0.0
    for proc in psutil.process_iter(["name"]):
        if (proc.info["name"] or "").startswith(names):
            try:
                times = proc.cpu_times()
                total += times.user + times.system
                if children:
                    total += times.children_user + times.children_system
            except psutil.Error:
                pass
    return total


def postgres_cpu_seconds() -> float:
    return _named_cpu_seconds(("postgres", "postmaster"), children=True)


def redis_cpu_seconds() -> float:
    """The Redis server's CPU: cached paths move work there, so it counts too."""
    return _named_cpu_seconds(("redis-server",))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- load ------------------------------------------------------------------------------------


def wrk(server: Server, *, concurrency: int, seconds: float, env: dict) -> dict:
    threads = 1 if concurrency == 1 else 2
    cpu_app, cpu_pg, cpu_redis = server.cpu_seconds(), postgres_cpu_seconds(), redis_cpu_seconds()
    result = run(
        [
            "wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, int(seconds))}s",
            "--timeout", "10s", "-s", str(LUA), server.base,
        ],
        env={**env, "BENCH_NONCE": uuid.uuid4().hex[:8]},
        capture=True,
    )  # fmt: skip
    cpu_app, cpu_pg = server.cpu_seconds() - cpu_app, postgres_cpu_seconds() - cpu_pg
    cpu_redis = redis_cpu_seconds() - cpu_redis
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    requests = max(data["requests"], 1)
    data.update(
        rps=round(data["requests"] / (data["duration_us"] / 1e6), 1),
        app_cpu_us=round(cpu_app * 1e6 / requests, 1),
        pg_cpu_us=round(cpu_pg * 1e6 / requests, 1),
        redis_cpu_us=round(cpu_redis * 1e6 / requests, 1),
    )
    data["cpu_us"] = round(data["app_cpu_us"] + data["pg_cpu_us"] + data["redis_cpu_us"], 1)
    data["errors"] = data["socket_errors"] + data["non2xx"]
    return data


def pgbench(url_base: str, seconds: float, scale: int) -> dict:
    db = f"{url_base}/pospro_pgbench"
    exists = psql(
        "SELECT 1 FROM pg_database WHERE datname = 'pospro_pgbench'", f"{url_base}/postgres"
    )
    if not exists:
        psql("CREATE DATABASE pospro_pgbench", f"{url_base}/postgres")
        run(["pgbench", "-i", "-q", "-s", str(scale), db], capture=True)
    out = {}
    for name, extra in (("select_only", ["-S"]), ("tpcb_like", [])):
        for clients in (1, 8):
            result = run(
                ["pgbench", *extra, "-c", str(clients), "-j", str(min(clients, 2)),
                 "-T", str(max(1, int(seconds))), "-n", db],
                capture=True,
            )  # fmt: skip
            tps = float(re.search(r"tps = ([\d.]+)", result.stdout).group(1))
            out[f"{name}_c{clients}_tps"] = round(tps, 1)
    return out


def raw_psycopg_query(database_url: str, product_ids: list[str], count: int = 3000) -> dict:
    import psycopg

    with psycopg.connect(database_url, prepare_threshold=0) as conn:
        cur = conn.cursor()
        start_cpu, start = postgres_cpu_seconds(), time.perf_counter()
        start_own = time.process_time()
        for index in range(count):
            cur.execute(
                "SELECT id, name, barcode, sku, price, vat_rate, is_active "
                "FROM catalog_product WHERE id = %s",
                [product_ids[index % len(product_ids)]],
            )
            cur.fetchone()
        wall = time.perf_counter() - start
        own = time.process_time() - start_own
        pg = postgres_cpu_seconds() - start_cpu
    return {
        "queries": count,
        "mean_us": round(wall * 1e6 / count, 1),
        "client_cpu_us": round(own * 1e6 / count, 1),
        "pg_cpu_us": round(pg * 1e6 / count, 1),
    }


# --- the run ---------------------------------------------------------------------------------


def prepare_database(args, env: dict) -> None:
    admin_url = args.database_url.rsplit("/", 1)[0] + "/postgres"
    name = args.database_url.rsplit("/", 1)[1]
    if args.reseed:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin_url)
    if not psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'", admin_url):
        psql(f"CREATE DATABASE {name}", admin_url)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env=env)
    if args.no_seed:
        return
    lines = int(psql("SELECT count(*) FROM sales_orderitem", args.database_url) or 0)
    products = int(psql("SELECT count(*) FROM catalog_product", args.database_url) or 0)
    if abs(lines - args.lines) > args.lines * 0.05 or products < args.products:
        log(f"seeding {args.products} products and {args.lines} order lines ...")
        run(
            [PYTHON, "manage.py", "seed_demo", "--reset", "--products", str(args.products),
             "--lines", str(args.lines)],
            env=env,
        )  # fmt: skip
        run(["psql", args.database_url, "-qc", "VACUUM ANALYZE"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument(
        "--seconds", type=float, default=3.0, help="per endpoint, concurrency and round"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="every endpoint is measured once per round, the rounds interleaved; figures are "
        "the medians (a noisy machine shifts a whole round, not one endpoint against another)",
    )
    cores = os.cpu_count() or 1
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("GUNICORN_WORKERS", 2 * cores))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("GUNICORN_THREADS", 2)))
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pospro_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/9")
    parser.add_argument("--reseed", action="store_true", help="drop and seed the data set again")
    parser.add_argument("--no-seed", action="store_true", help="use the database as it is")
    parser.add_argument("--smoke", action="store_true", help="tiny data set, short runs (CI)")
    parser.add_argument("--only", default="", help="comma-separated endpoint names to run")
    parser.add_argument(
        "--known-miss",
        action="append",
        default=[],
        metavar="RATIO",
        help="a ratio reported as a known miss instead of failing the run (bench/README.md)",
    )
    args = parser.parse_args()
    if args.smoke:
        args.lines, args.products, args.seconds, args.rounds = 3000, 300, 1.0, 1
        if args.database_url.endswith("/pospro_bench"):
            args.database_url += "_smoke"

    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": SECRET,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "POSPRO_CACHE_PREFIX": "bench",
        "POSPRO_THROTTLE_USER": "100000000/min",
        "POSPRO_THROTTLE_LOGIN": "100000/min",
        "POSPRO_URLCONF": "bench.urls",
        "POSPRO_LOG_LEVEL": "WARNING",
    }
    prepare_database(args, env)
    run(["redis-cli", "-u", args.redis_url, "FLUSHDB"], capture=True)

    ids = psql(
        "SELECT id FROM catalog_product WHERE is_active ORDER BY random() LIMIT 1000",
        args.database_url,
    ).split()
    barcodes = psql(
        "SELECT barcode FROM catalog_product WHERE is_active AND barcode IS NOT NULL "
        "ORDER BY barcode LIMIT 1",
        args.database_url,
    ).split()
    tmp = Path(tempfile.mkdtemp(prefix="pospro-bench-"))
    results: dict = {"endpoints": {}, "floors": {}}

    def measure(
        server, name, token, path=None, paths=None, bodies=None, method="GET", conc=(1, 16)
    ):
        if args.only and name not in args.only.split(","):
            return
        wenv = {"BENCH_TOKEN": token or "", "BENCH_METHOD": method}
        if paths:
            (tmp / f"{name}.paths").write_text("\n".join(paths) + "\n")
            wenv["BENCH_PATHS"] = str(tmp / f"{name}.paths")
        else:
            wenv["BENCH_PATH"] = path
        if bodies:
            (tmp / f"{name}.bodies").write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
            wenv["BENCH_BODIES"] = str(tmp / f"{name}.bodies")
        first = paths[0] if paths else path
        status, _ = http(method, server.base + first, bodies[0] if bodies else None, token)
        if status >= 400:
            log(f"  {name}: warm-up request answered {status}")
        row = {}
        for concurrency in conc:
            row[f"c{concurrency}"] = wrk(
                server, concurrency=concurrency, seconds=args.seconds, env=wenv
            )
            rounds.setdefault(name, {}).setdefault(f"c{concurrency}", []).append(
                row[f"c{concurrency}"]
            )
        first, last = row[f"c{conc[0]}"], row[f"c{conc[-1]}"]
        errors = sum(r["errors"] for r in row.values())
        log(
            f"  {name:<24} p50 {first['p50_us'] / 1000:7.2f} ms  cpu {first['cpu_us']:8.1f} us/req"
            f"  rps(c{conc[-1]}) {last['rps']:8.1f}  errors {errors}"
        )

    def cached_round(server, cashier, manager, bodies, raw_bodies):
        measure(server, "health", None, "/health")
        measure(server, "bare_view", None, "/bench/bare")
        measure(server, "authed_view", cashier, "/bench/authed")
        measure(server, "authed_drf_view", cashier, "/bench/authed-drf")
        measure(server, "barcode_cached", cashier, f"/api/v1/products/barcode/{barcodes[0]}")
        measure(server, "detail_cached", cashier, f"/api/v1/products/{ids[0]}")
        measure(server, "list50_cached", cashier, "/api/v1/products?limit=50")
        measure(server, "post_order", cashier, "/api/v1/orders", bodies=bodies, method="POST",
                conc=(1, 8, 16))  # fmt: skip
        measure(server, "raw_order_sql", None, "/bench/raw-order", bodies=raw_bodies,
                method="POST", conc=(1, 8, 16))  # fmt: skip
        measure(server, "orders_list", manager, "/api/v1/orders?limit=20")

    def uncached_round(server, cashier, manager, admin):
        measure(server, "detail_uncached", cashier, paths=[f"/api/v1/products/{i}" for i in ids])
        measure(server, "raw_product_view", None, paths=[f"/bench/raw-product/{i}" for i in ids])
        measure(server, "list50_uncached", cashier, "/api/v1/products?limit=50")
        measure(server, "values_orjson_50", None, "/bench/products-values?limit=50")
        measure(server, "orders_stats", manager, "/api/v1/orders/stats")
        for report in ("daily", "weekly", "monthly", "products", "cashiers"):
            measure(server, f"report_{report}", manager, f"/api/v1/reports/{report}")
        measure(server, "report_branches", admin, "/api/v1/reports/branches")

    rounds: dict = {}  # name -> concurrency -> one measurement per round
    common = {"workers": args.workers, "threads": args.threads}
    with Server(env, **common) as server:
        base = server.base
        cashier, manager, admin = (
            login(base, f"{role}@pospro.local") for role in ("cashier", "manager", "admin")
        )
        status, me = http("GET", f"{base}/api/v1/auth/me", token=cashier)
        branch_id, cashier_id = me["branch_id"], me["id"]
        # Stock the products the POST bench sells, so no order is refused for stock.
        sellable = ids[:60]
        for pid in sellable:
            http("PATCH", f"{base}/api/v1/products/{pid}/stock",
                 {"quantity": 1_000_000, "reason": "stock_purchase"}, manager)  # fmt: skip
        bodies = []
        for start in range(0, 60, 3):
            items = [{"product_id": pid, "quantity": 1} for pid in sellable[start : start + 3]]
            bodies.append({"items": items, "payments": [{"method": "cash", "amount": 1000000}]})
        raw_bodies = [
            {"branch_id": branch_id, "cashier_id": cashier_id, "items": b["items"]} for b in bodies
        ]

        for round_no in range(1, args.rounds + 1):
            log(f"cached phase ({args.workers} workers x {args.threads} threads), round {round_no}")
            cached_round(server, cashier, manager, bodies, raw_bodies)
        # The auth overhead is the difference of two close figures: in one-second runs a
        # single pair read it anywhere from -30 to 900 us, so the smoke run takes a median.
        for _ in range(SMOKE_AUTH_PAIRS - args.rounds if args.smoke else 0):
            measure(server, "bare_view", None, "/bench/bare")
            measure(server, "authed_view", cashier, "/bench/authed")

    # Uncached phase: the same app with its read caches off (TTL 0), reports included.
    with Server({**env, "POSPRO_CACHE_TTL": "0"}, **common) as server:
        manager = login(server.base, "manager@pospro.local")
        admin = login(server.base, "admin@pospro.local")
        cashier = login(server.base, "cashier@pospro.local")
        for round_no in range(1, args.rounds + 1):
            log(f"uncached phase (POSPRO_CACHE_TTL=0), round {round_no}")
            uncached_round(server, cashier, manager, admin)
    results["endpoints"] = {name: merge_rounds(row) for name, row in rounds.items()}

    if not args.only:
        log("floors: raw psycopg query, pgbench")
        results["floors"]["raw_psycopg_pk_query"] = raw_psycopg_query(args.database_url, ids)
        pg_base = args.database_url.rsplit("/", 1)[0]
        results["floors"]["pgbench"] = pgbench(pg_base, args.seconds, 10)

    results["ratios"] = ratios(results)
    results["meta"] = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "lines": args.lines,
        "products": args.products,
        "seconds": args.seconds,
        "rounds": args.rounds,
        **common,
        "smoke": args.smoke,
    }
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = out_dir / f"{'smoke' if args.smoke else 'bench'}-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    print(table(results))
    print(f"\nsaved {out.relative_to(ROOT)}")
    return verdict(results, slack=3.0 if args.smoke else 1.0, known=set(args.known_miss))


def merge_rounds(row: dict) -> dict:
    """One measurement per concurrency from the rounds': medians, errors and requests summed."""
    merged = {}
    for conc, runs in row.items():
        out = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for key in ("requests", "errors", "socket_errors", "non2xx"):
            if key in runs[0]:
                out[key] = sum(run[key] for run in runs)
        out["rounds"] = len(runs)
        merged[conc] = out
    return merged


def ratios(results: dict) -> dict:
    ep = results["endpoints"]

    def cpu(name, conc="c16"):
        return ep[name][conc]["cpu_us"] if name in ep else None

    def div(a, b):
        return round(a / b, 2) if a is not None and b else None

    out = {
        "cached_detail_vs_health": div(cpu("detail_cached"), cpu("health")),
        "barcode_vs_health": div(cpu("barcode_cached"), cpu("health")),
        "uncached_detail_vs_raw": div(cpu("detail_uncached"), cpu("raw_product_view")),
        "list50_vs_values": div(cpu("list50_uncached"), cpu("values_orjson_50")),
        "order_vs_raw_sql": div(cpu("post_order", "c8"), cpu("raw_order_sql", "c8")),
        "auth_overhead_us": (
            round(cpu("authed_view") - cpu("bare_view"), 1)
            if "authed_view" in ep and "bare_view" in ep
            else None
        ),
    }
    if "authed_drf_view" in ep and "bare_view" in ep:
        # Not a target: what DRF's request cycle adds to the same checks (most endpoints).
        out["auth_overhead_drf_us"] = round(cpu("authed_drf_view") - cpu("bare_view"), 1)
    tpcb = results.get("floors", {}).get("pgbench", {}).get("tpcb_like_c8_tps")
    if "post_order" in ep and tpcb:
        out["order_tps_vs_pgbench"] = round(ep["post_order"]["c8"]["rps"] / tpcb, 3)
    reports = [n for n in ep if n.startswith("report_") or n == "orders_stats"]
    if reports:
        out["report_p50_ms"] = round(max(ep[n]["c1"]["p50_us"] for n in reports) / 1000, 2)
    return out


def verdict(results: dict, *, slack: float, known: set[str] = frozenset()) -> int:
    failures = []
    for name, row in results["endpoints"].items():
        errors = sum(r["errors"] for r in row.values())
        if errors:
            failures.append(f"{name}: {errors} errors")
    for name, value in results["ratios"].items():
        if value is None or name in INFORMATION:
            continue
        target = TARGETS[name][0]
        higher_is_better = name == "order_tps_vs_pgbench"
        ok = value * slack >= target if higher_is_better else value <= target * slack
        if not ok and name in known:
            log(f"KNOWN MISS {name} = {value} (target {target}, slack x{slack})")
        elif not ok:
            failures.append(f"{name} = {value} (target {target}, slack x{slack})")
    for failure in failures:
        log(f"FAIL {failure}")
    return 1 if failures else 0


def table(results: dict) -> str:
    lines = [
        f"{'endpoint':<22}{'conc':>5}{'rps':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'app us':>9}{'pg us':>9}{'redis us':>9}{'errors':>8}"
    ]
    for name, row in results["endpoints"].items():
        for conc, r in row.items():
            lines.append(
                f"{name:<22}{conc[1:]:>5}{r['rps']:>9.1f}{r['p50_us'] / 1000:>9.2f}"
                f"{r['p95_us'] / 1000:>9.2f}{r['p99_us'] / 1000:>9.2f}{r['app_cpu_us']:>9.0f}"
                f"{r['pg_cpu_us']:>9.0f}{r['redis_cpu_us']:>9.0f}{r['errors']:>8}"
            )
    floors = results.get("floors", {})
    if floors:
        lines.append("")
        lines.append(f"floors: {json.dumps(floors)}")
    lines.append("")
    lines.append(f"{'ratio':<26}{'value':>10}{'target':>10}  meaning")
    for name, value in results["ratios"].items():
        if name in INFORMATION:
            lines.append(f"{name:<26}{value:>10}{'-':>10}  {INFORMATION[name]}")
            continue
        target, meaning = TARGETS[name]
        shown = "n/a" if value is None else f"{value}"
        lines.append(f"{name:<26}{shown:>10}{target:>10}  {meaning}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

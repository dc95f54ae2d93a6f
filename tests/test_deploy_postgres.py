"""The deployment against real PostgreSQL: migrate once under a lock, the entry script, the replica.

Each test makes fresh databases of its own on the server the suite runs on (the one `./bin/test`
chose: DATABASE_URL's, or the embedded one) and drops them at the end, and runs the app in
subprocesses, the way containers do.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from accounts.management.commands.migrate_locked import MIGRATION_LOCK_KEY
from tests.helpers import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow


# --- helpers ----------------------------------------------------------------------------------


def server() -> dict:
    """Connection parameters of the PostgreSQL server the test suite runs on: pytest-django's.

    An embedded server (pgserver) listens on a Unix socket only, named by OPTIONS["host"].
    """
    s = connection.settings_dict
    options = s.get("OPTIONS", {})
    return {
        "host": s["HOST"] or options.get("host") or "localhost",
        "port": int(s["PORT"] or options.get("port") or 5432),
        "user": s["USER"] or "postgres",
        "password": s["PASSWORD"] or "",
    }


def url_for(name: str, params: dict | None = None) -> str:
    p = params or server()
    auth = quote(p["user"], safe="")
    if p["password"]:
        auth += f":{quote(p['password'], safe='')}"
    if p["host"].startswith("/"):  # a socket directory
        return f"postgres://{auth}@/{name}?host={quote(p['host'])}&port={p['port']}"
    return f"postgres://{auth}@{quote(p['host'], safe='')}:{p['port']}/{name}"


def connect(name: str, params: dict | None = None) -> psycopg.Connection:
    p = params or server()
    return psycopg.connect(
        host=p["host"],
        port=p["port"],
        user=p["user"],
        password=p["password"] or None,
        dbname=name,
        autocommit=True,
    )


def app_env(**extra: str) -> dict[str, str]:
    """The environment of an app subprocess: this venv first on PATH, as in the image."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_REPLICA_URL"}
    env.update(extra)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def make_database():
    """Create fresh, empty databases on the test server; dropped after the test."""
    created: list[str] = []

    def make(label: str) -> str:
        name = f"pospro_deploy_{label}_{uuid.uuid4().hex[:8]}"
        with connect("postgres") as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return name

    yield make
    with connect("postgres") as admin:
        for name in created:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def applied_migrations(name: str) -> list[tuple[str, str]]:
    with connect(name) as conn:
        return conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()


def migrations_on_disk() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- migrate once -----------------------------------------------------------------------------


def waiting_for_lock(conn: psycopg.Connection) -> int:
    """Sessions polling for the migration lock (migrate_locked retries pg_try_advisory_lock:
    a waiter blocked in pg_advisory_lock would deadlock with CREATE INDEX CONCURRENTLY)."""
    return conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_try_advisory_lock%%'"
    ).fetchone()[0]


def test_two_concurrent_migrate_locked_runs_migrate_once(make_database):
    name = make_database("lock")
    env = app_env(DATABASE_URL=url_for(name))
    with connect(name) as holder:
        # Hold the lock ourselves until both runs are queued on it: they really overlap.
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        runs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "migrate_locked"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        deadline = time.monotonic() + 60
        while waiting_for_lock(holder) < 2:
            assert all(run.poll() is None for run in runs), "a run ended before taking its turn"
            assert time.monotonic() < deadline, "the runs never queued on the lock"
            time.sleep(0.1)
        holder.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
    outputs = [run.communicate(timeout=180) for run in runs]

    for run, (stdout, stderr) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, stderr
        assert "Waiting for the migration lock" in stdout
        assert "Traceback" not in stderr
    applying = [stdout for stdout, _ in outputs if "Applying " in stdout]
    assert len(applying) == 1, "exactly one run applied the migrations"
    assert any("No migrations to apply" in stdout for stdout, _ in outputs)
    applied = applied_migrations(name)
    assert len(applied) == len(set(applied)), "no migration recorded twice"
    assert set(applied) == migrations_on_disk()


def test_migrate_locked_gives_up_when_the_lock_is_never_released(make_database):
    name = make_database("held")
    with connect(name) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
        result = manage(
            "migrate_locked", "--lock-timeout", "1", env=app_env(DATABASE_URL=url_for(name))
        )
    assert result.returncode != 0
    assert "not released within 1 s" in result.stderr
    with connect(name) as conn:
        tables = conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]
    assert tables is None, "nothing was migrated without the lock"


def test_migrate_locked_waits_for_the_database_then_fails_clearly():
    dead = f"postgres://postgres@127.0.0.1:{free_port()}/nothing"
    started = time.monotonic()
    result = manage("migrate_locked", "--wait-for-db", "2", env=app_env(DATABASE_URL=dead))
    assert result.returncode != 0
    assert "Database unreachable" in result.stderr
    assert "Waiting for the database" in result.stdout
    assert time.monotonic() - started >= 2


@pytest.mark.django_db
def test_these_tests_use_the_server_the_suite_runs_on():
    """connect() and url_for() reach the cluster of pytest-django's own connection, never a
    guessed localhost:5432 (./bin/test may have started an embedded server on a socket)."""
    sql = "SELECT system_identifier FROM pg_control_system()"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        suite_cluster = cursor.fetchone()[0]
    with connect("postgres") as conn:
        assert conn.execute(sql).fetchone()[0] == suite_cluster
    name = connection.settings_dict["NAME"]
    code = (
        "import django; django.setup(); from django.db import connection\n"
        f"with connection.cursor() as cursor:\n    cursor.execute({sql!r})\n"
        "    print(cursor.fetchone()[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=app_env(DATABASE_URL=url_for(name), DJANGO_SETTINGS_MODULE="pospro.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) == suite_cluster


# --- the container entry script ---------------------------------------------------------------


def test_entrypoint_migrates_then_execs_gunicorn_which_stops_on_sigterm(make_database):
    name = make_database("entry")
    port = free_port()
    env = app_env(
        DATABASE_URL=url_for(name),
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS="1",
        GUNICORN_THREADS="2",
        GUNICORN_ACCESS_LOG="",
        GUNICORN_GRACEFUL_TIMEOUT="10",
    )
    process = subprocess.Popen(
        [str(ROOT / "deploy" / "entrypoint.sh")],
        cwd="/",
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/health", timeout=60)
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert any(b"gunicorn" in part for part in cmdline), "the script exec'd into gunicorn"
        assert set(applied_migrations(name)) == migrations_on_disk()
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr[-2000:]
    assert "Migration lock acquired." in stdout
    assert "Shutting down: Master" in stderr


def test_entrypoint_runs_a_given_command_instead(make_database):
    name = make_database("oneoff")
    result = subprocess.run(
        [str(ROOT / "deploy" / "entrypoint.sh"), "python", "-c", "import os; print(os.getcwd())"],
        env=app_env(DATABASE_URL=url_for(name)),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(ROOT)
    with connect(name) as conn:
        tables = conn.execute("SELECT to_regclass('django_migrations')").fetchone()[0]
    assert tables is None, "no migration for a one-off command"


# --- the read replica -------------------------------------------------------------------------

PROBE = r"""
import json, time
import django
django.setup()
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from accounts.models import Branch
from pospro.db_router import replica_reads

def read(expect=None):
    # Which connection ran the query, and what it returned.
    with CaptureQueriesContext(connections["default"]) as on_default, \
         CaptureQueriesContext(connections["replica"]) as on_replica:
        codes = sorted(Branch.objects.values_list("code", flat=True))
    ran = ["default"] * len(on_default) + ["replica"] * len(on_replica)
    return {"ran_on": ran, "codes": codes}

def read_until(code):
    # A streaming replica may lag a moment behind the primary.
    deadline = time.monotonic() + 20
    while True:
        result = read()
        if code in result["codes"] or time.monotonic() > deadline:
            return result
        time.sleep(0.2)

out = {"routers": settings.DATABASE_ROUTERS, "replica_db": settings.DATABASES["replica"]["NAME"]}
out["outside"] = read()
with replica_reads():
    out["inside"] = read_until("PRIMARY-ONLY") if STREAMING else read()
    with transaction.atomic():
        out["inside_atomic"] = read()
    Branch.objects.create(code="WRITTEN-INSIDE", name="written inside replica_reads")

@replica_reads()
def report():
    return read()

out["decorated"] = report()
with connections["replica"].cursor() as cursor:
    cursor.execute("SELECT pg_is_in_recovery()")
    out["replica_in_recovery"] = cursor.fetchone()[0]
print(json.dumps(out))
"""


def insert_branch(conn: psycopg.Connection, code: str) -> None:
    conn.execute(
        "INSERT INTO accounts_branch (id, code, name, address, phone, is_active, created_at)"
        " VALUES (%s, %s, %s, '', '', true, now())",
        [uuid.uuid4(), code, code.title()],
    )


def server_major(name: str) -> int:
    with connect(name) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def server_bin_dir() -> Path | None:
    """Where the test server's own programs are (an embedded server brings its own)."""
    with connect("postgres") as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        try:
            return Path(os.readlink(f"/proc/{pid}/exe")).parent
        except OSError:  # another machine, or not ours to read
            return None


def pg_binary(tool: str, major: int) -> str | None:
    """The server's major version of a PostgreSQL tool (pg_basebackup only copies its own)."""
    own = server_bin_dir()
    for candidate in (
        own and str(own / tool),
        f"/usr/lib/postgresql/{major}/bin/{tool}",
        shutil.which(tool),
    ):
        if candidate and os.access(candidate, os.X_OK):
            version = subprocess.run([candidate, "--version"], capture_output=True, text=True)
            found = re.search(r"\(PostgreSQL\) (\d+)", version.stdout)
            if found and int(found.group(1)) == major:
                return candidate
    return None


def as_postgres_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` system user then."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


class StreamingReplica:
    """A hot standby of the test server made with pg_basebackup, on a port of its own."""

    def __init__(self, major: int):
        self.major = major
        self.root = Path(tempfile.mkdtemp(prefix="pospro-replica-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.pg_ctl = pg_binary("pg_ctl", major)
        self.started = False

    def start(self) -> str | None:
        """Make and start the standby; return why not, or None on success."""
        basebackup = pg_binary("pg_basebackup", self.major)
        if not basebackup or not self.pg_ctl:
            return f"no PostgreSQL {self.major} pg_basebackup/pg_ctl on this machine"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        os.chmod(self.root, 0o700)
        p = server()
        try:
            result = subprocess.run(
                as_postgres_user(
                    [basebackup, "-D", str(self.data), "-h", p["host"], "-p", str(p["port"])]
                    + ["-U", p["user"], "-X", "stream", "-R", "-w", "--checkpoint=fast"]
                ),
                env={**os.environ, "PGPASSWORD": p["password"]},
                cwd=self.root,
                capture_output=True,
                text=True,
                timeout=300,
            )
        except subprocess.TimeoutExpired:  # it copies the whole cluster, other databases too
            return "pg_basebackup took over 300 s (a large cluster)"
        if result.returncode != 0:
            return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "failed"
        # A Debian cluster keeps its configuration outside the data directory.
        (self.data / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.root}'\nhot_standby = on\n"
        )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        if os.geteuid() == 0:
            for path in (self.data / "postgresql.conf", self.data / "pg_hba.conf"):
                shutil.chown(path, "postgres", "postgres")
        result = subprocess.run(
            as_postgres_user(
                [self.pg_ctl, "-D", str(self.data), "-l", str(self.root / "log"), "-w", "start"]
            ),
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if result.returncode != 0:
            return f"the standby did not start: {result.stdout[-500:]}"
        self.started = True
        return None

    def params(self) -> dict:
        return {**server(), "host": "127.0.0.1", "port": self.port}

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                as_postgres_user([self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop"]),
                cwd=self.root,
                capture_output=True,
                timeout=120,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def primary_and_replica(make_database):
    """A migrated primary database and its replica: streaming if the server allows, else not.

    The fallback is a second database on the same server, migrated separately: a stand-in
    that proves where each query ran, not that replication works.
    """
    primary = make_database("primary")
    env = app_env(DATABASE_URL=url_for(primary))
    result = manage("migrate", "--noinput", "-v0", env=env)
    assert result.returncode == 0, result.stderr
    with connect(primary) as conn:
        insert_branch(conn, "PRIMARY-ONLY")

    standby = StreamingReplica(server_major(primary))
    why_not = standby.start()
    try:
        if why_not is None:
            yield {
                "mode": "streaming",
                "primary": primary,
                "replica_url": url_for(primary, standby.params()),
                "replica_params": standby.params(),
            }
            return
        warnings.warn(
            f"Replica test fallback: no streaming replica ({why_not}); the router is pointed"
            " at a second database on the same server.",
            stacklevel=1,
        )
        replica = make_database("replica")
        result = manage("migrate", "--noinput", "-v0", env=app_env(DATABASE_URL=url_for(replica)))
        assert result.returncode == 0, result.stderr
        with connect(replica) as conn:
            insert_branch(conn, "REPLICA-ONLY")
        yield {"mode": "fallback", "primary": primary, "replica_url": url_for(replica)}
    finally:
        standby.stop()


def test_replica_reads_are_routed_to_the_replica_database(primary_and_replica):
    setup = primary_and_replica
    streaming = setup["mode"] == "streaming"
    env = app_env(
        DATABASE_URL=url_for(setup["primary"]),
        DATABASE_REPLICA_URL=setup["replica_url"],
        DJANGO_SETTINGS_MODULE="pospro.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", f"STREAMING = {streaming}\n{PROBE}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])

    assert out["routers"] == ["pospro.db_router.ReplicaRouter"]
    assert out["outside"] == {"ran_on": ["default"], "codes": ["PRIMARY-ONLY"]}
    assert out["inside_atomic"] == {"ran_on": ["default"], "codes": ["PRIMARY-ONLY"]}
    assert out["inside"]["ran_on"][-1] == "replica"
    assert set(out["inside"]["ran_on"]) == {"replica"}
    assert out["decorated"]["ran_on"] == ["replica"]
    if streaming:
        assert out["replica_in_recovery"] is True
        assert out["inside"]["codes"] == ["PRIMARY-ONLY"], "the replica streamed the primary"
    else:
        assert out["inside"]["codes"] == ["REPLICA-ONLY"], "the rows came from the replica"
        assert out["decorated"]["codes"] == ["REPLICA-ONLY"]

    with connect(setup["primary"]) as conn:
        written = conn.execute(
            "SELECT count(*) FROM accounts_branch WHERE code = 'WRITTEN-INSIDE'"
        ).fetchone()[0]
    assert written == 1, "a write inside replica_reads() went to the primary"


# --- the compose stack's PostgreSQL scripts ---------------------------------------------------


def test_compose_postgres_scripts_make_a_streaming_replica():
    """deploy/postgres/primary-init.sh and replica-entrypoint.sh, run as the postgres image would.

    A private primary (initdb, replication over TCP needing a password) gets the init script;
    the replica entry point clones it through the slot and starts a hot standby that follows.
    Here initdb's own loopback line already admits replication with a password, so the pg_hba
    line the script adds for the compose network is written but not what lets the clone in.
    """
    major = server_major("postgres")
    tools = {name: pg_binary(name, major) for name in ("initdb", "pg_ctl", "postgres")}
    if not all(tools.values()) or not pg_binary("pg_basebackup", major):
        message = f"PostgreSQL {major} server binaries are needed: {tools}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    bin_dir = str(Path(tools["postgres"]).parent)
    root = Path(tempfile.mkdtemp(prefix="pospro-pg-scripts-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    # The postgres user may not be able to read the checkout (a 0700 temporary clone).
    scripts = {}
    for name in ("primary-init.sh", "replica-entrypoint.sh"):
        scripts[name] = shutil.copy(ROOT / "deploy" / "postgres" / name, root / name)
        os.chmod(scripts[name], 0o755)
    primary_data, replica_data = root / "primary", root / "replica"
    primary_port, replica_port = free_port(), free_port()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "REPLICATION_USER": "replicator",
        "REPLICATION_PASSWORD": "s3cret4replication",
        "REPLICATION_SLOT": "pospro_replica",
    }

    def run(args, **extra):
        result = subprocess.run(
            as_postgres_user(args),
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=180,
            cwd=root,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def socket_connect(port):
        return psycopg.connect(
            host=str(root), port=port, user="postgres", dbname="postgres", autocommit=True
        )

    replica = None
    try:
        run(
            [tools["initdb"], "-D", str(primary_data), "-U", "postgres"]
            + ["--auth-local=trust", "--auth-host=scram-sha-256"]
        )
        flags = (
            f"-c port={primary_port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={root} -c wal_level=replica -c max_wal_senders=10"
            " -c max_replication_slots=10 -c max_slot_wal_keep_size=2GB"
        )
        run(
            [tools["pg_ctl"], "-D", str(primary_data), "-o", flags, "-l", "primary.log", "-w"]
            + ["start"]
        )
        run(
            ["sh", str(scripts["primary-init.sh"])],
            POSTGRES_USER="postgres",
            POSTGRES_DB="postgres",
            PGDATA=str(primary_data),
            PGHOST=str(root),
            PGPORT=str(primary_port),
        )
        run([tools["pg_ctl"], "-D", str(primary_data), "reload"])  # the new pg_hba line
        hba = (primary_data / "pg_hba.conf").read_text().splitlines()
        assert hba[-1] == "host replication replicator all scram-sha-256"

        replica = subprocess.Popen(
            as_postgres_user(
                ["sh", str(scripts["replica-entrypoint.sh"])]
                + [tools["postgres"], "-D", str(replica_data), "-c", f"port={replica_port}"]
                + ["-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={root}"]
            ),
            env={
                **env,
                "PGDATA": str(replica_data),
                "PRIMARY_HOST": "127.0.0.1",
                "PRIMARY_PORT": str(primary_port),
            },
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                standby = socket_connect(replica_port)
                break
            except psycopg.OperationalError:
                if replica.poll() is not None:
                    pytest.fail(f"the replica stopped: {replica.stdout.read()[-3000:]}")
                assert time.monotonic() < deadline, "the replica never accepted connections"
                time.sleep(0.3)
        with standby, socket_connect(primary_port) as primary:
            assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
            primary.execute("CREATE TABLE streamed (x int); INSERT INTO streamed VALUES (42)")
            deadline = time.monotonic() + 30
            while True:
                if standby.execute("SELECT to_regclass('streamed')").fetchone()[0]:
                    rows = standby.execute("SELECT x FROM streamed").fetchall()
                    if rows == [(42,)]:
                        break
                assert time.monotonic() < deadline, "the write never reached the replica"
                time.sleep(0.2)
            slot = primary.execute(
                "SELECT active FROM pg_replication_slots WHERE slot_name = 'pospro_replica'"
            ).fetchone()
            assert slot == (True,), "the replica follows through the slot"
            senders = primary.execute("SELECT usename FROM pg_stat_replication").fetchall()
            assert senders == [("replicator",)]
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
                standby.execute("INSERT INTO streamed VALUES (1)")
    finally:
        for data in (replica_data, primary_data):
            if (data / "postmaster.pid").exists():
                subprocess.run(
                    as_postgres_user([tools["pg_ctl"], "-D", str(data), "-m", "fast", "stop"]),
                    cwd=root,
                    capture_output=True,
                    timeout=60,
                )
        if replica is not None:
            try:
                replica.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.kill()
        shutil.rmtree(root, ignore_errors=True)

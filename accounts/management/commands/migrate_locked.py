"""`manage.py migrate_locked`: migrate once, however many API containers start together.

Every container's entry script runs it. The first one to take a PostgreSQL session-level
advisory lock on a fixed key migrates; the others wait on the lock, then find nothing left to
apply.
"""

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, OperationalError, connections

# "pospro-migrate" as a number: one key for every PosPro installation, scoped by the database.
MIGRATION_LOCK_KEY = 0x706F7370726F6D


class Command(BaseCommand):
    help = "Run migrate under a PostgreSQL advisory lock, so concurrent starts migrate once."

    def add_arguments(self, parser):
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)
        parser.add_argument(
            "--wait-for-db",
            type=float,
            default=0,
            metavar="SECONDS",
            help="Keep trying to connect for this long before giving up (container start).",
        )
        parser.add_argument(
            "--lock-timeout",
            type=int,
            default=600,
            metavar="SECONDS",
            help="Give up when another process holds the migration lock for longer than this.",
        )

    def handle(self, *args, database: str, wait_for_db: float, lock_timeout: int, **options):
        self.verbosity = options["verbosity"]
        connection = connections[database]
        self._wait_for(connection, wait_for_db)
        migrate_options = {
            "database": database,
            "interactive": False,
            "verbosity": options["verbosity"],
        }
        # Poll with pg_try_advisory_lock rather than block in pg_advisory_lock: a waiter blocked
        # inside a statement keeps a transaction open, and a migration that builds an index
        # CONCURRENTLY waits for every open transaction -> the two would deadlock.
        deadline = time.monotonic() + lock_timeout
        said = False
        while True:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
            if time.monotonic() > deadline:
                raise CommandError(f"The migration lock was not released within {lock_timeout} s.")
            if not said:
                self._say("Waiting for the migration lock held by another process...")
                said = True
            time.sleep(0.5)
        self._say("Migration lock acquired.")
        try:
            call_command("migrate", **migrate_options)
        finally:
            # The lock belongs to this session; closing the connection would release it too.
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
        self._say("Migration lock released.")

    def _wait_for(self, connection, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                connection.ensure_connection()
                return
            except OperationalError as exc:
                if time.monotonic() >= deadline:
                    raise CommandError(f"Database unreachable: {exc}") from exc
                self._say("Waiting for the database...")
                time.sleep(1)

    def _say(self, message: str) -> None:
        if self.verbosity > 0:
            self.stdout.write(message)

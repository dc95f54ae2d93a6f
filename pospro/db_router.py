"""Read replica routing: heavy reads go to the replica only where a caller asked for it.

Nothing is routed to the replica by default. Report and statistics selectors wrap their reads in
`replica_reads()`; everything else, every write and every migration stays on the primary. A
streaming replica lags behind by a little, so a read that must see a write just made (stock
before a sale, an idempotent replay) never belongs inside `replica_reads()`.

The flag lives in a context variable: it follows the current thread or task only, so one
gthread worker thread opting in never moves another thread's reads.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA_DB_ALIAS = "replica"

_use_replica: ContextVar[bool] = ContextVar("pospro_use_replica", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Send the reads made inside to the replica, when one is configured.

    Works as `with replica_reads():` and as a decorator, `@replica_reads()`. A queryset is routed
    when it is evaluated: evaluate it inside the block (`list()`, an aggregate, `.get()`).
    """
    token = _use_replica.set(True)
    try:
        yield
    finally:
        _use_replica.reset(token)


def replica_configured() -> bool:
    return REPLICA_DB_ALIAS in connections.settings


def read_alias() -> str:
    """The alias a read made here and now would use."""
    if (
        _use_replica.get()
        and replica_configured()
        # A read inside a write transaction must see that transaction's own rows.
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA_DB_ALIAS
    return DEFAULT_DB_ALIAS


class ReplicaRouter:
    """Primary for everything, except reads inside `replica_reads()` outside a transaction."""

    def db_for_read(self, model, **hints) -> str:
        return read_alias()

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        # Both aliases hold the same data: an object read from the replica may point at one
        # read from the primary.
        databases = {DEFAULT_DB_ALIAS, REPLICA_DB_ALIAS}
        if obj1._state.db in databases and obj2._state.db in databases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == DEFAULT_DB_ALIAS

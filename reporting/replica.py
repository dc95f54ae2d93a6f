"""`replica_reads()`: run report queries on the read replica when one is configured.

`pospro.db_router` (the replica router, `DATABASE_REPLICA_URL`) provides the real context
manager; until it is there, and on installations without a replica, this is a no-op. Report
views wrap their queries in it, so routing them is this one import.
"""

import contextlib

try:  # pragma: no cover - depends on which branches are merged
    from pospro.db_router import replica_reads
except ImportError:  # pragma: no cover

    def replica_reads():
        return contextlib.nullcontext()


__all__ = ["replica_reads"]

"""Sales data versions: one per business day and branch (and one per day for all branches),
moved when a sale, refund or cancellation commits.

Reports cache their answers under the versions of the days they cover (see reporting.cache).
A committed write sets the versions of the days whose figures it changes — the order's business
day, and the refund's own — for its branch and for all branches, so the next read of those days
misses and includes the write. A rolled-back write moves nothing; a report of other days, or of
another branch, keeps its cached answer.

A version is the time of the change in nanoseconds plus a random sub-millisecond jitter (never
a small counter that a flushed cache could restart and meet old entries with; two changes in
one clock tick still differ), which also tells readers how recent the last change is. If the
cache is down the write still succeeds; readers then compute from the database.
"""

import secrets
import time
from datetime import date

from django.core.cache import cache
from django.db import transaction


def day_key(branch_id, day: date) -> str:
    """The version key of a business day for one branch, or for all branches (None)."""
    return f"sales:v:{branch_id or 'all'}:{day:%Y-%m-%d}"


def stamp() -> int:
    """A new version: now in nanoseconds, give or take a millisecond, unique."""
    return time.time_ns() + secrets.randbelow(1_000_000)


def bump_now(keys: frozenset[str]) -> None:
    cache.set_many(dict.fromkeys(keys, stamp()), timeout=None)


def sales_changed_on_commit(branch_id, *days: date) -> None:
    """Move the versions of `days` (for the branch and for all) once the transaction commits."""
    keys = frozenset(key for day in days for key in (day_key(branch_id, day), day_key(None, day)))
    transaction.on_commit(lambda: bump_now(keys))


def versions(keys: list[str]) -> dict[str, int] | None:
    """Current versions of these keys; a missing one starts now (add, never overwriting a
    concurrent bump). None if the cache is down."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        if not cache.add(missing[0], stamp(), timeout=None) and cache.get(missing[0]) is None:
            return None  # the cache is down: do not try every key
        for key in missing[1:]:
            cache.add(key, stamp(), timeout=None)
        found.update(cache.get_many(missing))
    if any(key not in found for key in keys):
        return None
    return found

"""Sales data versions: one counter per business month, moved when a sale, refund or
cancellation commits.

Reports cache their answers under the versions of the months they cover (see reporting.cache).
A committed write sets the versions of the months whose figures it changes — the order's
business month, and the refund's own — so the next read misses and includes the write; a
rolled-back write moves nothing, and a closed month nobody touches keeps its cached reports.

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


def month_key(day: date) -> str:
    return f"sales:v:{day:%Y-%m}"


def stamp() -> int:
    """A new version: now in nanoseconds, give or take a millisecond, unique."""
    return time.time_ns() + secrets.randbelow(1_000_000)


def bump_now(months: frozenset[str]) -> None:
    cache.set_many(dict.fromkeys(months, stamp()), timeout=None)


def sales_changed_on_commit(*days: date) -> None:
    """Move the versions of the business months of `days` once the transaction commits."""
    months = frozenset(month_key(day) for day in days)
    transaction.on_commit(lambda: bump_now(months))


def versions(keys: list[str]) -> dict[str, int] | None:
    """Current versions of these month keys; a missing one starts now. None if the cache is down."""
    found = cache.get_many(keys)
    missing = [key for key in keys if key not in found]
    if missing:
        for key in missing:
            cache.add(key, stamp(), timeout=None)
        found.update(cache.get_many(missing))
    if any(key not in found for key in keys):
        return None
    return found

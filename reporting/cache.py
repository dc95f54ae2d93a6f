"""Cached reports, versioned by the sales days they read: a read after a sale includes it.

A report's key holds its name, its parameters, the versions (sales.events) of every business
day it reads for its scope (its branch, or all branches) — the comparison period included — and
the version of the names it shows (products, categories, branches, users). A sale, refund or
cancellation moves the versions of its day for its branch and for all branches when it commits,
so the next read of that day misses and recomputes, while other days and other branches keep
their entries; a rename moves the names' version. Entries of a closed period (ending before
today) live a day, since only a late refund or a rename can change them and those move the
versions anyway; the current period's live POSPRO_CACHE_TTL seconds. POSPRO_CACHE_TTL=0 turns
report caching off; with the cache down, reports are computed from the database.

Replica: a miss for a closed period whose versions have not moved in the last
REPLICA_LAG_SECONDS is computed on the read replica (`replica_reads()`); everything else reads
the primary, so a lagging replica is never cached as the figures of a period that just changed.
"""

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date, timedelta
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from pospro.clock import business_today
from reporting.replica import replica_reads
from sales import events

T = TypeVar("T")

CLOSED_PERIOD_TTL = 24 * 3600
REPLICA_LAG_SECONDS = 30
LABELS_KEY = "reporting:labels:v"


def day_keys(start: date, end: date, branch_id=None) -> list[str]:
    """Version keys of the business days start..end for the branch (None: all branches)."""
    return [
        events.day_key(branch_id, start + timedelta(days=n)) for n in range((end - start).days + 1)
    ]


def labels_changed_on_commit() -> None:
    """A product, category, branch or user was renamed: cached reports show names."""
    transaction.on_commit(lambda: cache.set(LABELS_KEY, events.stamp(), timeout=None))


def cached_report(
    name: str, params: dict, *, start: date, end: date, branch_id, compute: Callable[[], T]
) -> T:
    """The report `name` for `params`, reading business days start..end (comparison included)
    of one branch, or of all branches when branch_id is None."""
    ttl = settings.POSPRO_CACHE_TTL
    if ttl <= 0:  # caching off: no versions to read, the primary answers
        return compute()
    versions = events.versions([*day_keys(start, end, branch_id), LABELS_KEY])
    closed = end < business_today()
    settled = (
        versions is not None
        and time.time_ns() - max(versions.values()) > REPLICA_LAG_SECONDS * 1_000_000_000
    )
    source = replica_reads if closed and settled else nullcontext
    if versions is None:
        with source():
            return compute()
    fingerprint = json.dumps([params, versions], sort_keys=True, default=str)
    key = f"report:{name}:{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"
    value = cache.get(key)
    if value is not None:
        return value
    with source():
        value = compute()
    cache.set(key, value, timeout=max(ttl, CLOSED_PERIOD_TTL) if closed else ttl)
    return value

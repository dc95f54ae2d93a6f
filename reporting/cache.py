"""Cached reports, versioned by the sales months they read: a read after a sale includes it.

A report's key holds its name, its parameters, the versions (sales.events) of every business
month it reads — the comparison period included — and the version of the names it shows
(products, categories, branches, users). A sale, refund or cancellation moves the versions of
its months when it commits, so the next read misses and recomputes; a rename moves the names'
version. Entries of a closed period (ending before today) live a day, since only a late refund
or a rename can change them and those move the versions anyway; the current period's live
POSPRO_CACHE_TTL seconds. POSPRO_CACHE_TTL=0 turns report caching off; with the cache down,
reports are computed from the database.

Replica: a miss for a closed period whose versions have not moved in the last
REPLICA_LAG_SECONDS is computed on the read replica (`replica_reads()`); everything else reads
the primary, so a lagging replica is never cached as the figures of a period that just changed.
"""

import hashlib
import json
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import date
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


def months(start: date, end: date) -> list[str]:
    """Version keys of the business months start..end touches."""
    keys, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(events.month_key(date(year, month, 1)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def labels_changed_on_commit() -> None:
    """A product, category, branch or user was renamed: cached reports show names."""
    transaction.on_commit(lambda: cache.set(LABELS_KEY, events.stamp(), timeout=None))


def cached_report(
    name: str, params: dict, *, start: date, end: date, compute: Callable[[], T]
) -> T:
    """The report `name` for `params`, reading business days start..end (comparison included)."""
    versions = events.versions([*months(start, end), LABELS_KEY])
    closed = end < business_today()
    settled = (
        versions is not None
        and time.time_ns() - max(versions.values()) > REPLICA_LAG_SECONDS * 1_000_000_000
    )
    source = replica_reads if closed and settled else nullcontext
    ttl = settings.POSPRO_CACHE_TTL
    if ttl <= 0 or versions is None:
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

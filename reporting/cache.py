"""Cached reports, versioned by the sales days they read, and read from the replica when closed.

A report's key holds its name, its parameters and the versions (`sales.events.day_key`) of every
business day it reads for its scope (its branch, or all branches), the comparison period
included, plus the version of the names it shows. A committed sale, refund or cancellation moves
the versions of its days, so the next read of those days misses and recomputes, while other days
and other branches keep their entries; a rename moves the names' version. Entries of a closed
period (ending before today) live a day, since only a late refund or a rename can change them and
those move the versions anyway; the current period's live POSPRO_CACHE_TTL seconds.
POSPRO_CACHE_TTL=0 turns report caching off; with the cache down, reports are computed.

A closed period is computed on the read replica (`replica_reads()`), with the cache on or off,
except when one of its versions moved in the last REPLICA_LAG_SECONDS: a replica that has not
caught up yet must not be cached as the figures of a period that just changed. The current
period always reads the primary.
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

from pospro.cache import bump_on_commit, cache_is_current, versions
from pospro.clock import business_today
from pospro.db_router import replica_reads
from sales.events import day_key

T = TypeVar("T")

CLOSED_PERIOD_TTL = 24 * 3600
REPLICA_LAG_SECONDS = 30
LABELS_KEY = "reporting:labels:v"


def labels_changed_on_commit() -> None:
    """A product, category, branch or user was renamed: cached reports show names."""
    bump_on_commit([LABELS_KEY])


def _compute(compute: Callable[[], T], *, replica: bool) -> T:
    with replica_reads() if replica else nullcontext():
        return compute()


def cached_report(
    name: str, params: dict, *, start: date, end: date, branch_id, compute: Callable[[], T]
) -> T:
    """The report `name` for `params`, reading business days start..end (comparison included)
    of one branch, or of all branches when branch_id is None."""
    closed = end < business_today()
    ttl = settings.POSPRO_CACHE_TTL
    if ttl <= 0 or not cache_is_current():  # caching off, or a version move undelivered
        return _compute(compute, replica=closed)
    days = (end - start).days + 1
    keys = [*(day_key(branch_id, start + timedelta(n)) for n in range(days)), LABELS_KEY]
    moved = cache.get_many(keys)  # a version never moved (or long evicted) starts now, unmoved
    found = moved if len(moved) == len(keys) else versions(keys)
    if found is None:  # the cache is down: nothing is kept
        return _compute(compute, replica=closed)
    fingerprint = json.dumps([params, found], sort_keys=True, default=str)
    key = f"report:{name}:{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"
    value = cache.get(key)
    if value is None:
        last_move = max(moved.values(), default=0)
        settled = time.time_ns() - last_move > REPLICA_LAG_SECONDS * 1_000_000_000
        value = _compute(compute, replica=closed and settled)
        cache.set(key, value, timeout=max(ttl, CLOSED_PERIOD_TTL) if closed else ttl)
    return value

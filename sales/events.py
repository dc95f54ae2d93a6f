"""Sales data versions: one per business day and branch (and one per day for all branches),
moved when a sale, refund or cancellation commits.

Reports cache their answers under the versions of the days they cover (see reporting.cache).
A committed write moves the versions of the days whose figures it changes (the order's business
day, and the refund's own) for its branch and for all branches, so the next read of those days
misses and includes the write. A rolled-back write moves nothing; a report of other days, or of
another branch, keeps its cached answer. The versions themselves are pospro.cache's.
"""

from datetime import date

from pospro.cache import bump_on_commit


def day_key(branch_id, day: date) -> str:
    """The version key of a business day for one branch, or for all branches (None)."""
    return f"sales:v:{branch_id or 'all'}:{day:%Y-%m-%d}"


def sales_changed_on_commit(branch_id, *days: date) -> None:
    """Move the versions of `days` (for the branch and for all) once the transaction commits."""
    bump_on_commit(key for day in days for key in (day_key(branch_id, day), day_key(None, day)))

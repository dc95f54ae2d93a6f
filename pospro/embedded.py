"""The demo's database: an embedded PostgreSQL (pgserver) when DATABASE_URL is unset.

Every `manage.py` command of the demo reaches the same server, started on first use or reused
while it runs; it stops with the last process using it. Its data stays in .demo/pgdata (ignored
by git and Docker) from one run to the next.
"""

import warnings
from pathlib import Path


def embedded_postgres_url(pgdata: Path) -> str:
    with warnings.catch_warnings():  # platformdirs: "XDG_RUNTIME_DIR is not set"
        warnings.simplefilter("ignore")
        import pgserver  # only the demo needs it: production never imports it

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return pgserver.get_server(pgdata, cleanup_mode="stop").get_uri()

"""The zero-setup default (SQLite, local-memory cache) sells, replays, refunds and reports."""

import json
import os
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_a_till_day_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "tests/scripts/sqlite_demo_flow.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("RESULT ")), None)
    assert line, result.stderr[-3000:]
    assert json.loads(line.removeprefix("RESULT ")) == {
        "detail": 200,
        "barcode": 200,
        "order": 201,
        "replayed": "true",
        "same": True,
        "refund": 201,
        "daily": 200,
        "products": 200,
        "stats": 200,
    }

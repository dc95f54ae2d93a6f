"""Web requests run under PostgreSQL's statement_timeout (POSPRO_DB_STATEMENT_TIMEOUT_MS, set in
the connection options): a runaway report is cancelled and answered 503 `statement_timeout`
instead of pinning a worker. Commands through manage.py keep no limit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from accounts.tests.test_auth_api import assert_problem
from conftest import client_for
from reporting.api.views import OrderStatsView

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "from django.db import connection, OperationalError\n"
    "cursor = connection.cursor()\n"
    "cursor.execute('SHOW statement_timeout')\n"
    "print(cursor.fetchone()[0])\n"
)
SLEEP = (
    "try:\n"
    "    cursor.execute('SELECT pg_sleep(0.5)')\n"
    "    print('finished')\n"
    "except OperationalError as exc:\n"
    "    print(type(exc.__cause__).__name__)\n"
)
WEB = "import pospro.wsgi\n"  # what gunicorn loads


def run(args: list[str], timeout_ms: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "POSPRO_DB_STATEMENT_TIMEOUT_MS"}
    if timeout_ms is not None:
        env["POSPRO_DB_STATEMENT_TIMEOUT_MS"] = timeout_ms
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_web_processes_get_the_default_limit():
    assert run(["-c", WEB + SHOW], None) == ["30s"]


def test_the_limit_is_a_setting_and_cancels_a_longer_query():
    assert run(["-c", WEB + SHOW + SLEEP], "100") == ["100ms", "QueryCanceled"]
    assert run(["-c", WEB + SHOW + SLEEP], "0") == ["0", "finished"]


def test_management_commands_get_no_limit():
    assert run(["manage.py", "shell", "-v", "0", "-c", SHOW + SLEEP], None) == ["0", "finished"]
    # An operator who sets it for commands too gets it.
    assert run(["manage.py", "shell", "-v", "0", "-c", SHOW], "100") == ["100ms"]


@pytest.mark.django_db
def test_a_cancelled_query_answers_503_without_a_trace(admin_user, monkeypatch):
    def runaway(**arguments):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_sleep(0.5)")  # no ORM form; stands for a huge aggregate
        return {}

    monkeypatch.setattr(OrderStatsView, "selector", staticmethod(runaway))
    with connection.cursor() as cursor:  # as the connection option does, for this transaction
        cursor.execute("SET LOCAL statement_timeout = 100")
    response = client_for(admin_user).get("/api/v1/orders/stats")
    body = assert_problem(response, 503, "statement_timeout")
    assert body["title"] == "Request took too long"
    assert "try again later" in body["detail"]
    text = response.content.decode()
    assert "pg_sleep" not in text
    assert "Traceback" not in text
    assert "canceling statement" not in text

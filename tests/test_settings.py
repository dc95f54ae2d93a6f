"""Production settings: refuse the dev key, pass `check --deploy` with no warnings."""

import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.helpers import ROOT

PROD_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-only-7Qm2vR9xKp4LzT8wNc3HbY6dFj1SgUe5AoXiWq0Zr",
    "DJANGO_ALLOWED_HOSTS": "pos.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production_mode():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    env = {**PROD_ENV, "DJANGO_SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_needs_a_database_url():
    """Only the demo (DJANGO_DEBUG on) starts the embedded PostgreSQL when DATABASE_URL is unset."""
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, **PROD_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "DATABASE_URL must be set when DJANGO_DEBUG=false" in result.stderr
    assert not (ROOT / "db.sqlite3").exists()


def test_production_settings_values():
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.PASSWORD_HASHERS[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **PROD_ENV, "DJANGO_SETTINGS_MODULE": "pospro.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ], result.stderr


def database_options(env: dict[str, str]) -> str:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "o = s.DATABASES['default']['OPTIONS']; "
        "print(o['server_side_binding'], o['prepare_threshold'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": "postgres://pospro@127.0.0.1:5432/pospro",
            "DJANGO_SETTINGS_MODULE": "pospro.settings",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_statements_are_prepared_unless_turned_off():
    assert database_options({}) == "True 5"
    assert database_options({"DB_PREPARE_THRESHOLD": "off"}) == "True None"
    assert database_options({"DB_PREPARE_THRESHOLD": "1"}) == "True 1"


@pytest.mark.django_db
def test_a_busy_statement_is_planned_once_per_connection():
    """The fifth run of a statement on a connection prepares it; PostgreSQL then keeps it."""
    sql = "SELECT count(*) FROM accounts_branch WHERE code = %s"
    for _ in range(6):
        with connection.cursor() as cursor:
            cursor.execute(sql, ["none"])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["SELECT count(*) FROM accounts_branch WHERE code = $1%"],
        )
        assert cursor.fetchone()[0] == 1

"""Helpers for tests that run the app the production way (gunicorn) on loopback."""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


def server_database_url() -> str:
    """DATABASE_URL pointed at the test database pytest-django made, for a server subprocess."""
    from django.db import connection

    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/" + connection.settings_dict["NAME"]))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, threads: int = 1):
    """Start `gunicorn pospro.wsgi` with the project's config; yields the base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(workers),
        "GUNICORN_THREADS": str(threads),
        "GUNICORN_ACCESS_LOG": "",
        **env,
    }
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "pospro.wsgi:application"],
            cwd=ROOT,
            env=full_env,
            stdout=subprocess.DEVNULL,
            stderr=log,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            try:
                wait_for(f"{base}/health")
            except OSError as exc:
                process.terminate()
                process.wait(timeout=15)
                log.seek(0)
                raise RuntimeError(f"gunicorn did not start: {log.read()[-3000:]}") from exc
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            log.seek(0)
            # Shown by pytest when the test fails: what the server said.
            sys.stderr.write(log.read()[-5000:])

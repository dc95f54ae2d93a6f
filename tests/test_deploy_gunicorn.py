"""gunicorn as deployed: a JSON access log line per request, whatever the client sends."""

import importlib.util
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from tests.helpers import ROOT, gunicorn

pytestmark = pytest.mark.slow


def test_access_log_is_one_valid_json_object_per_request(tmp_path):
    log = tmp_path / "access.log"
    hostile_agent = 'till "7" \\ {"status": 999}'
    with gunicorn({"GUNICORN_ACCESS_LOG": str(log)}, workers=1, threads=2) as base:
        request = urllib.request.Request(
            f"{base}/health?q=%22x%22",
            headers={
                "User-Agent": hostile_agent,
                "X-Request-ID": "till-7.req-1",
                "X-Forwarded-For": "203.0.113.9",
            },
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"{base}/no-such-page", timeout=5)
        assert missing.value.code == 404
    lines = [json.loads(line) for line in log.read_text().splitlines()]

    first = next(line for line in lines if line["path"] == "/health" and line["query"])
    assert first["user_agent"] == hostile_agent
    assert first["status"] == 200
    assert first["request_id"] == "till-7.req-1"
    assert first["forwarded_for"] == "203.0.113.9"
    assert first["remote"] == "127.0.0.1"
    assert first["query"] == "q=%22x%22"
    assert first["method"] == "GET"
    assert first["bytes"] > 0
    assert first["duration_ms"] >= 0
    assert first["time"].endswith("+00:00")
    not_found = next(line for line in lines if line["path"] == "/no-such-page")
    assert not_found["status"] == 404
    assert len(not_found["request_id"]) == 32, "the generated request id is logged"


def run_healthcheck(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py")],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_container_health_check_passes_in_production_mode_and_fails_when_down():
    env = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "test-only-7Qm2vR9xKp4LzT8wNc3HbY6dFj1SgUe5AoXiWq0Zr",
        # 127.0.0.1 only for tests.helpers.gunicorn's own start-up probe.
        "DJANGO_ALLOWED_HOSTS": "pos.example.com,127.0.0.1",
    }
    with gunicorn(env, workers=1) as base:
        bind = {**env, "GUNICORN_BIND": base.removeprefix("http://")}
        assert run_healthcheck(bind).returncode == 0
        # The image's hosts: the public name first, then the container names.
        production = {**bind, "DJANGO_ALLOWED_HOSTS": "pos.example.com,api1,api2"}
        assert run_healthcheck(production).returncode == 0
    down = run_healthcheck(bind)
    assert down.returncode == 1
    assert "unhealthy" in down.stderr


@pytest.mark.parametrize(
    ("allowed", "host"),
    [
        ("pos.example.com,api1", "pos.example.com"),
        (" .example.com ", "health.example.com"),
        ("*", "localhost"),
        ("", "localhost"),
    ],
)
def test_health_check_asks_with_a_host_django_accepts(monkeypatch, allowed, host):
    spec = importlib.util.spec_from_file_location("healthcheck", ROOT / "deploy" / "healthcheck.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", allowed)
    assert module.health_host() == host

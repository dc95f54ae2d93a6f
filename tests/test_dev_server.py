"""The development server (`manage.py runserver`, what ./bin/demo starts) logs a request once."""

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

import pytest

from tests.helpers import ROOT, free_port, wait_for

pytestmark = pytest.mark.slow


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_runserver_logs_each_request_once():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # /health, an unknown URL and a refused API call: no table is read.
    env = {**os.environ, "DJANGO_DEBUG": "true"}
    with tempfile.TemporaryFile("w+") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            try:
                wait_for(f"{base}/health", timeout=60)
            except OSError:
                log.seek(0)
                pytest.fail(f"runserver did not start: {log.read()[-3000:]}")
            statuses = {
                "/health/": get(f"{base}/health/"),  # the probe above asked for /health
                "/no-such-page": get(f"{base}/no-such-page"),
                "/api/v1/products": get(f"{base}/api/v1/products"),
            }
        finally:
            process.terminate()
            process.wait(timeout=15)
        log.seek(0)
        output = log.read()

    assert statuses == {"/health/": 200, "/no-such-page": 404, "/api/v1/products": 401}
    for path, status in statuses.items():
        named = re.compile(rf"(?<![\w/-]){re.escape(path)}(?![\w/-])")
        mentions = [line for line in output.splitlines() if named.search(line)]
        assert len(mentions) == 1, f"{path} logged {len(mentions)} times:\n{output}"
        entry = json.loads(mentions[0])
        assert entry["logger"] == "pospro.request"
        assert entry["path"] == path
        assert entry["status"] == status
        assert len(entry["request_id"]) == 32

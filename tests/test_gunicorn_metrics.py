"""Metrics are correct when gunicorn runs several worker processes.

Counted on /ready, which nothing else asks for: the start-up probes ask for /health, and one that
timed out while the workers were booting may still be counted after the server answers.
"""

import re
import socket
import urllib.request
from urllib.parse import urlparse

import pytest

from tests.helpers import gunicorn

pytestmark = pytest.mark.slow


READY_COUNT = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="ready"[^}]*\}'
    r" (\d+(?:\.\d+)?)$",
    re.MULTILINE,
)


def ready_count(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    match = READY_COUNT.search(text)
    assert match, text[:2000]
    return float(match.group(1))


def test_metrics_count_requests_across_two_workers(tmp_path):
    metrics_dir = tmp_path / "prom"
    # Open /metrics whatever DJANGO_DEBUG the suite runs with (production closes it by default).
    env = {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "POSPRO_METRICS_PUBLIC": "true"}
    with gunicorn(env, workers=2) as base:
        url = urlparse(base)
        # Hold one sync worker on a half-sent request, so the next ones must go to the other.
        held = socket.create_connection((url.hostname, url.port), timeout=10)
        held.sendall(b"GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/ready", timeout=5) as response:
                assert response.status == 200
        held.sendall(b"Connection: close\r\n\r\n")
        assert held.recv(100).startswith(b"HTTP/1.1 200")
        held.close()
        count = ready_count(base)
        pids = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in metrics_dir.glob("*.db")}

    assert len(pids) == 2, "both workers served requests and wrote metrics"
    assert count == 21.0  # the 20 and the held one, whichever worker served them

"""Metrics are correct when gunicorn runs several worker processes."""

import re
import socket
import urllib.request
from urllib.parse import urlparse

import pytest

from tests.helpers import gunicorn

pytestmark = pytest.mark.slow


HEALTH_COUNT = re.compile(
    r'^django_http_requests_total_by_view_transport_method_total\{[^}]*view="health"[^}]*\}'
    r" (\d+(?:\.\d+)?)$",
    re.MULTILINE,
)


def health_count(base: str) -> float:
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    match = HEALTH_COUNT.search(text)
    assert match, text[:2000]
    return float(match.group(1))


def test_metrics_count_requests_across_two_workers(tmp_path):
    metrics_dir = tmp_path / "prom"
    with gunicorn({"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, workers=2) as base:
        # The start-up probes (one or more on a slow machine) are counted already.
        before = health_count(base)
        url = urlparse(base)
        # Hold one sync worker on a half-sent request, so the next ones must go to the other.
        held = socket.create_connection((url.hostname, url.port), timeout=10)
        held.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        for _ in range(20):
            with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                assert response.status == 200
        held.sendall(b"Connection: close\r\n\r\n")
        assert held.recv(100).startswith(b"HTTP/1.1 200")
        held.close()
        after = health_count(base)
        pids = {re.search(r"_(\d+)\.db$", p.name).group(1) for p in metrics_dir.glob("*.db")}

    assert len(pids) == 2, "both workers served requests and wrote metrics"
    assert after - before == 21.0  # the 20 and the held one, whichever worker served them

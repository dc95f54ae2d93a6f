"""README's "Running against PostgreSQL and Redis", run as written: gunicorn with
DJANGO_DEBUG=false serves /docs and the admin with their styles.

Only what must differ here is changed: the servers (this suite's), the port and the metrics
directory; `createsuperuser` is left out (it asks questions).
"""

import os
import re
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT, free_port, server_database_url, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def readme_steps() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Running against PostgreSQL and Redis") :]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def fetch(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def static_links(html: str, suffix: str) -> list[str]:
    return re.findall(rf'(?:href|src)="(/static/[^"]+\.{suffix})"', html)


def test_the_readme_production_path_serves_docs_and_admin_styles(tmp_path):
    steps = readme_steps()
    assert any("collectstatic" in step for step in steps)
    ours = {
        "DATABASE_URL": server_database_url(),
        "REDIS_URL": os.environ["REDIS_URL"],
    }
    script = []
    for step in steps:
        step = step.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        name = re.match(r"export (\w+)=", step)
        if name and name.group(1) in ours:
            step = f"export {name.group(1)}='{ours[name.group(1)]}'"
        if "createsuperuser" in step:
            continue
        step = step.replace("/tmp/pospro-metrics", str(tmp_path / "metrics"))
        script.append(step)
    assert script[-1].split()[1].endswith("gunicorn"), "the last step starts gunicorn"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "GUNICORN_", "DATABASE_REPLICA"))
    }
    env.update(GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="1")
    log = tmp_path / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            ["sh", "-euc", "\n".join(script)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_for(f"{base}/health", timeout=240)
        except OSError:
            pytest.fail(f"the server did not start: {log.read_text()[-3000:]}")

        status, _, docs = fetch(f"{base}/docs")
        assert status == 200
        assert static_links(docs, "css"), docs[:2000]
        for link in static_links(docs, "css") + static_links(docs, "js"):
            assert fetch(f"{base}{link}")[0] == 200, link

        status, _, login = fetch(f"{base}/admin/login/")
        assert status == 200
        styles = static_links(login, "css")
        assert any("admin/css/base" in link for link in styles), login[:2000]
        for link in styles:
            status, content_type, css = fetch(f"{base}{link}")
            assert status == 200, link
            assert content_type.startswith("text/css")
            assert css.strip()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

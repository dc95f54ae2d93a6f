"""deploy/nginx.conf for real: `nginx -t`, then the API called through nginx and gunicorn.

The end-to-end tests run nginx from a copy of deploy/nginx.conf and deploy/nginx/*.conf in which
only what cannot work here is replaced (asserted below, so the copy cannot drift): the listen
ports, the upstream servers (compose's api1/api2 become gunicorn on loopback), and the paths of
the access log, the cache and the temp files.
"""

import datetime
import gzip
import http.client
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.helpers import ROOT, free_port, gunicorn, wait_for

pytestmark = pytest.mark.slow

DEPLOY = ROOT / "deploy"

PROD_ENV = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "test-only-7Qm2vR9xKp4LzT8wNc3HbY6dFj1SgUe5AoXiWq0Zr",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "true",
}


@pytest.fixture(scope="module")
def nginx_bin() -> str:
    path = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if path is None:
        message = "nginx is not installed (.ci/run installs it: apt-get install nginx-light)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- nginx -t on the file as it ships ---------------------------------------------------------


def test_deploy_nginx_conf_passes_nginx_t(nginx_bin, tmp_path):
    """`nginx -t -c deploy/nginx.conf`, untouched, where api1 and api2 resolve as in compose.

    A private mount namespace gives nginx the container's view: an /etc/hosts naming the API
    containers and an empty /var/cache; the machine's own files are not changed.
    """
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("a private mount namespace needs root (CI runs as root)")
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n127.0.0.1 api1 api2\n")
    script = (
        f"mount --bind {hosts} /etc/hosts && mount -t tmpfs tmpfs /var/cache"
        f" && mkdir /var/cache/nginx && {nginx_bin} -t -c {DEPLOY / 'nginx.conf'}"
    )
    result = subprocess.run(
        ["unshare", "--mount", "sh", "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


# --- nginx in front of gunicorn ---------------------------------------------------------------


def self_signed_certificate(directory: Path) -> Path:
    """certs/fullchain.pem and certs/privkey.pem for 127.0.0.1; returns the certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pospro test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir()
    chain = directory / "fullchain.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return chain


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy config changed: expected {old!r} once"
    return text.replace(old, new)


@contextmanager
def run_nginx(nginx_bin: str, upstream_servers: list[str], *, tls: bool = False):
    """nginx from deploy/ on free loopback ports; yields its URLs and access log."""
    # Workers run as nobody: the folder must be reachable (pytest's tmp_path is not).
    root = Path(tempfile.mkdtemp(prefix="pospro-nginx-"))
    os.chmod(root, 0o755)
    http_port, https_port = free_port(), free_port()
    shutil.copytree(DEPLOY / "nginx", root / "nginx")
    access_log = root / "access.log"

    conf = (DEPLOY / "nginx.conf").read_text()
    conf = replace_once(conf, "listen 80 default_server;", f"listen 127.0.0.1:{http_port};")
    conf = replace_once(
        conf, "access_log /dev/stdout pospro_json;", f"access_log {access_log} pospro_json;"
    )
    conf = replace_once(
        conf,
        "proxy_cache_path /var/cache/nginx/pospro-static",
        f"proxy_cache_path {root}/cache",
    )
    conf = replace_once(
        conf,
        "http {\n",
        f"http {{\n    client_body_temp_path {root}/body;\n    proxy_temp_path {root}/proxy;\n",
    )
    (root / "nginx.conf").write_text(conf)
    upstream = "".join(f"    server {server};\n" for server in upstream_servers)
    (root / "nginx" / "upstreams.conf").write_text(
        f"upstream pospro_api {{\n{upstream}    keepalive 32;\n}}\n"
    )
    cert = None
    if tls:
        cert = self_signed_certificate(root / "certs")
        example = (DEPLOY / "nginx" / "tls.conf.example").read_text()
        (root / "nginx" / "tls.conf").write_text(
            replace_once(example, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
        )

    process = subprocess.Popen(
        [nginx_bin, "-p", str(root), "-c", str(root / "nginx.conf")]
        + ["-g", f"daemon off; pid {root}/nginx.pid;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        try:
            wait_for(f"http://127.0.0.1:{http_port}/nginx-health", timeout=15)
        except OSError as exc:
            process.terminate()
            raise RuntimeError(f"nginx did not start: {process.communicate()[1]}") from exc
        yield {
            "http": f"http://127.0.0.1:{http_port}",
            "https": f"https://127.0.0.1:{https_port}",
            "cert": cert,
            "access_log": access_log,
        }
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url: str, *, cert: Path | None = None, method: str = "GET", data=None, headers=None):
    """(status, headers, body bytes) without following redirects or raising on errors."""
    handlers = [NoRedirect()]
    if cert is not None:
        context = ssl.create_default_context(cafile=str(cert))
        handlers.append(urllib.request.HTTPSHandler(context=context))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def raw_call(base: str, request: bytes):
    """(status, headers, body bytes) for bytes sent as they are: the malformed requests that
    urllib will not make."""
    url = urlparse(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.headers, response.read()


def assert_nginx_problem(answer, status: int, code: str) -> dict:
    """An error nginx made itself, as RFC 9457 problem details like the API's."""
    got, headers, body = answer
    assert got == status, body[:500]
    assert headers["Content-Type"] == "application/problem+json"
    problem = json.loads(body)
    assert (problem["status"], problem["code"]) == (status, code)
    assert problem["title"]
    assert problem["detail"]
    assert headers["X-Request-ID"]
    return problem


def logged(path: Path, **fields) -> dict:
    """The access log entry with these fields; nginx or gunicorn writes it once the response is
    sent, so it may come a moment after the client has the answer."""
    deadline = time.monotonic() + 10
    while True:
        lines = path.read_text().splitlines() if path.exists() else []
        for entry in map(json.loads, lines):
            if fields.items() <= entry.items():
                return entry
        assert time.monotonic() < deadline, f"no entry with {fields} in {lines[-5:]}"
        time.sleep(0.05)


@pytest.fixture(scope="module")
def collected_static():
    """What the Dockerfile does at build time: collectstatic in production mode."""
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env={**os.environ, **PROD_ENV},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def stack(nginx_bin, collected_static, tmp_path_factory):
    """nginx (HTTP and HTTPS) -> gunicorn in production mode; one upstream server is down."""
    gunicorn_log = tmp_path_factory.mktemp("gunicorn") / "access.log"
    # As in docker-compose.yml: nginx is the one proxy that sets X-Forwarded-For.
    env = {**PROD_ENV, "GUNICORN_ACCESS_LOG": str(gunicorn_log), "POSPRO_TRUSTED_PROXIES": "1"}
    with gunicorn(env, workers=2, threads=2) as api:
        dead = f"127.0.0.1:{free_port()}"
        live = api.removeprefix("http://")
        with run_nginx(nginx_bin, [f"{dead} max_fails=1 fail_timeout=30s", live], tls=True) as n:
            yield {**n, "gunicorn_log": gunicorn_log}


def test_health_through_nginx_with_a_generated_request_id(stack):
    for _ in range(3):  # round robin meets the dead container too: nginx moves on
        status, headers, body = call(f"{stack['http']}/health")
        assert status == 200
        assert json.loads(body) == {"status": "ok"}
    request_id = headers["X-Request-ID"]
    assert len(request_id) == 32
    # nginx made the id and the API echoed it: the API would have made a different one.
    assert logged(stack["access_log"], request_id=request_id)["uri"] == "/health"
    assert logged(stack["access_log"], request_id=request_id)["status"] == 200


def test_a_client_request_id_passes_through_and_an_unsafe_one_is_replaced(stack):
    sent = "till-7.order-42:retry-1"
    status, headers, _ = call(f"{stack['http']}/health", headers={"X-Request-ID": sent})
    assert status == 200
    assert headers["X-Request-ID"] == sent
    assert logged(stack["access_log"], request_id=sent)["uri"] == "/health"

    status, headers, _ = call(f"{stack['http']}/health", headers={"X-Request-ID": "a b<c>"})
    assert status == 200
    assert headers["X-Request-ID"] != "a b<c>"
    assert logged(stack["access_log"], request_id=headers["X-Request-ID"])["uri"] == "/health"


def test_plain_http_is_redirected_to_https_by_the_api(stack):
    status, headers, _ = call(f"{stack['http']}/api/v1/schema")
    assert status == 301
    assert headers["Location"] == "https://127.0.0.1/api/v1/schema"


def test_schema_over_tls_gzipped(stack):
    status, headers, body = call(
        f"{stack['https']}/api/v1/schema",
        cert=stack["cert"],
        headers={"Accept-Encoding": "gzip", "Accept": "application/json"},
    )
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"openapi" in gzip.decompress(body)
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_unknown_url_is_a_problem_json_404_from_the_api(stack):
    status, headers, body = call(
        f"{stack['https']}/api/v1/no-such-thing",
        cert=stack["cert"],
        headers={"X-Request-ID": "till-9"},
    )
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "not_found"
    assert headers["X-Request-ID"] == "till-9"


def test_metrics_are_not_published_through_nginx(stack):
    status, headers, body = call(f"{stack['https']}/metrics", cert=stack["cert"])
    assert status == 404
    assert headers["Content-Type"] == "application/problem+json"
    assert json.loads(body)["code"] == "not_found"
    assert headers["X-Request-ID"]


def test_oversized_body_is_refused_by_nginx_as_problem_json(stack):
    status, headers, body = call(
        f"{stack['https']}/api/v1/auth/login",
        cert=stack["cert"],
        method="POST",
        data=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert_nginx_problem((status, headers, body), 413, "payload_too_large")


def test_static_files_come_from_the_api_and_are_cached(stack):
    url = f"{stack['https']}/static/admin/css/base.css"
    status, headers, body = call(url, cert=stack["cert"])
    assert status == 200
    assert b"body" in body
    status, headers, _ = call(url, cert=stack["cert"])
    assert status == 200
    assert headers["X-Cache-Status"] == "HIT"


def test_the_api_sees_the_client_address_nginx_saw_not_a_forged_one(stack):
    call(f"{stack['http']}/health?xff", headers={"X-Forwarded-For": "198.51.100.66"})
    assert logged(stack["gunicorn_log"], query="xff")["forwarded_for"] == "127.0.0.1"


def test_all_api_containers_down_is_a_problem_json_503(nginx_bin):
    with run_nginx(nginx_bin, [f"127.0.0.1:{free_port()}"]) as n:
        status, headers, body = call(f"{n['http']}/api/v1/branches")
    assert status == 503
    assert headers["Content-Type"] == "application/problem+json"
    assert headers["Retry-After"] == "5"
    assert json.loads(body)["code"] == "service_unavailable"


def test_login_flood_is_throttled_by_nginx_as_problem_json(nginx_bin):
    with (
        gunicorn({}, workers=1, threads=4) as api,
        run_nginx(nginx_bin, [api.removeprefix("http://")]) as n,
    ):
        statuses = []
        for _ in range(30):
            status, headers, body = call(
                f"{n['http']}/api/v1/auth/login",
                method="POST",
                data=b"{}",
                headers={"Content-Type": "application/json"},
            )
            statuses.append(status)
    assert statuses[0] == 400, "the first ones reach the API (invalid body)"
    assert 429 in statuses
    assert statuses.index(429) >= 20, "the burst of 20 is allowed"
    assert_nginx_problem((status, headers, body), 429, "throttled")
    assert headers["Retry-After"] == "1"


@pytest.fixture
def bare_nginx(nginx_bin):
    """nginx alone (its one API container is down): what it refuses never reaches the API."""
    with run_nginx(nginx_bin, [f"127.0.0.1:{free_port()}"]) as n:
        yield n


@pytest.mark.parametrize(
    "request_bytes",
    [
        pytest.param(b"NOT AN HTTP REQUEST\r\n\r\n", id="request-line"),
        pytest.param(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon\r\n\r\n", id="header"),
        pytest.param(
            b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            id="header-too-large",
        ),
    ],
)
def test_malformed_request_is_a_problem_json_400_from_nginx(bare_nginx, request_bytes):
    assert_nginx_problem(raw_call(bare_nginx["http"], request_bytes), 400, "bad_request")


def test_too_long_uri_is_a_problem_json_414_from_nginx(bare_nginx):
    answer = call(f"{bare_nginx['http']}/api/v1/products?search={'a' * 9000}")
    assert_nginx_problem(answer, 414, "uri_too_long")


def test_the_error_pages_are_not_reachable_from_outside(bare_nginx):
    assert_nginx_problem(call(f"{bare_nginx['http']}/.pospro-errors/400"), 404, "not_found")


def test_oversized_body_is_a_problem_json_413_before_the_api(bare_nginx):
    answer = call(
        f"{bare_nginx['http']}/api/v1/orders",
        method="POST",
        data=b"x" * (1024 * 1024 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert_nginx_problem(answer, 413, "payload_too_large")

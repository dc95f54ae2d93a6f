"""Container health check: GET /health from this container's gunicorn; exit 0 when it answers 200.

Asks with a Host that Django accepts (the first of DJANGO_ALLOWED_HOSTS): a plain request to
127.0.0.1 would be refused with 400 when only the public name is allowed.
"""

import os
import sys
import urllib.request


def health_host() -> str:
    hosts = [h.strip() for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if h.strip()]
    host = hosts[0] if hosts else "localhost"
    if host == "*":
        return "localhost"
    if host.startswith("."):  # a domain and its subdomains
        return "health" + host
    return host


def main() -> int:
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/health", headers={"Host": health_host()}
    )
    try:
        with urllib.request.urlopen(request, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except OSError as exc:
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

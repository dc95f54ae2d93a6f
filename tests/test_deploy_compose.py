"""docker-compose.yml, Dockerfile and .env.example, read as files (no Docker engine needed).

What these hold together: the services and how they wait for each other, the health checks,
the named volumes, the files mounted from deploy/, the nginx upstreams, and that every setting the
stack reads from .env is documented in .env.example.
"""

import re

import dj_database_url
import pytest
import yaml

from tests.helpers import ROOT

API_SERVICES = ("api1", "api2")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default}, ${VAR:?error} and $$ rules, enough for this file."""

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if op == ":?" and not env.get(name):
            raise AssertionError(f"{name} is required: {arg}")
        if op == ":-" and not env.get(name):
            return arg
        return env[name]

    value = re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, value)
    return value.replace("$$", "$")


def referenced_variables(text: str) -> dict[str, bool]:
    """Variables the compose file interpolates: name -> has a default."""
    found = {}
    for name, op in re.findall(r"(?<!\$)\$\{(\w+)(:[-?])?", text):
        found[name] = found.get(name, False) or op == ":-"
    return found


def test_the_stack_has_its_services(compose):
    assert set(compose["services"]) == {"nginx", *API_SERVICES, "db", "db-replica", "redis"}


def test_every_service_has_a_health_check_and_restarts(compose):
    for name, service in compose["services"].items():
        test = service["healthcheck"]["test"]
        assert test[0] in {"CMD", "CMD-SHELL"}, name
        assert service["restart"] == "unless-stopped", name


def test_services_wait_for_healthy_dependencies(compose):
    services = compose["services"]

    def healthy_dependencies(name):
        depends = services[name].get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: depends_on with conditions"
        return {dep for dep, rule in depends.items() if rule["condition"] == "service_healthy"}

    assert healthy_dependencies("nginx") == set(API_SERVICES)
    for api in API_SERVICES:
        assert healthy_dependencies(api) == {"db", "redis"}
    assert healthy_dependencies("db-replica") == {"db"}
    for name in ("db", "redis"):
        assert "depends_on" not in services[name]


def test_api_containers_are_the_same_image_wired_to_the_stack(compose, env_example):
    first, second = (compose["services"][name] for name in API_SERVICES)
    assert first == second, "the API containers differ only by name"
    api = first
    assert api["build"] == "."
    assert api["env_file"] == ".env"
    assert api["healthcheck"]["test"] == ["CMD", "python", "/app/deploy/healthcheck.py"]
    env = {key: interpolate(str(value), env_example) for key, value in api["environment"].items()}
    assert env["DJANGO_DEBUG"] == "false"
    primary = dj_database_url.parse(env["DATABASE_URL"])
    replica = dj_database_url.parse(env["DATABASE_REPLICA_URL"])
    assert (primary["HOST"], replica["HOST"]) == ("db", "db-replica")
    assert primary["NAME"] == replica["NAME"] == env_example["POSTGRES_DB"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert set(API_SERVICES) <= set(env["DJANGO_ALLOWED_HOSTS"].split(","))
    assert env["FORWARDED_ALLOW_IPS"] == "*"
    # nginx, the one proxy, sets X-Forwarded-For (overwriting what the client sent): the API
    # takes the address nginx saw for throttles and logs.
    assert env["POSPRO_TRUSTED_PROXIES"] == "1"
    locations = (ROOT / "deploy" / "nginx" / "locations.conf").read_text()
    assert re.search(r"^proxy_set_header X-Forwarded-For \$remote_addr;$", locations, re.M)
    # Docker's SIGKILL comes after gunicorn's graceful shutdown had its time.
    graceful = int(env_example.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
    assert int(api["stop_grace_period"].removesuffix("s")) > graceful
    assert "ports" not in api, "only nginx is published"


def test_nginx_mounts_its_config_and_upstreams_every_api_container(compose):
    nginx = compose["services"]["nginx"]
    mounts = dict(volume.split(":")[:2] for volume in nginx["volumes"])
    conf_target = mounts["./deploy/nginx.conf"]
    assert nginx["command"][:3] == ["nginx", "-c", conf_target]
    # nginx.conf's relative includes (nginx/..., certs/...) resolve next to it in the container.
    conf_dir = conf_target.rsplit("/", 1)[0]
    assert mounts["./deploy/nginx"] == f"{conf_dir}/nginx"
    assert mounts["./deploy/certs"] == f"{conf_dir}/certs"
    assert mounts["nginx-cache"] == "/var/cache/nginx"
    assert {port.split(":")[-1] for port in nginx["ports"]} == {"80", "443"}

    upstreams = (ROOT / "deploy" / "nginx" / "upstreams.conf").read_text()
    servers = re.findall(r"^\s*server\s+([\w.-]+):(\d+)", upstreams, re.MULTILINE)
    assert set(servers) == {(name, "8000") for name in API_SERVICES}


def test_named_volumes_are_declared_and_used(compose):
    declared = set(compose["volumes"])
    used = set()
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == declared == {"db-data", "db-replica-data", "redis-data", "nginx-cache"}
    assert "/var/lib/postgresql/data" in compose["services"]["db"]["volumes"][0]
    assert "/var/lib/postgresql/data" in compose["services"]["db-replica"]["volumes"][0]


def test_files_mounted_from_the_repository_exist(compose):
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts a missing {source}"
    for script in ("primary-init.sh", "replica-entrypoint.sh"):
        assert (ROOT / "deploy" / "postgres" / script).stat().st_mode & 0o111, script


def test_postgres_primary_and_replica_are_set_up_for_streaming(compose):
    db, replica = compose["services"]["db"], compose["services"]["db-replica"]
    assert "wal_level=replica" in db["command"]
    assert replica["command"][:2] == ["docker-entrypoint.sh", "postgres"]
    assert replica["command"][2:] == db["command"][1:], "a standby needs the primary's limits"
    assert any("docker-entrypoint-initdb.d" in volume for volume in db["volumes"])
    assert replica["entrypoint"] == ["/usr/local/bin/replica-entrypoint.sh"]
    assert replica["environment"]["PRIMARY_HOST"] == "db"
    assert replica["environment"]["REPLICATION_SLOT"] == db["environment"]["REPLICATION_SLOT"]
    assert "pg_is_in_recovery" in " ".join(replica["healthcheck"]["test"])


def test_every_variable_the_stack_needs_is_in_env_example(compose, env_example):
    text = (ROOT / "docker-compose.yml").read_text()
    for name, has_default in referenced_variables(text).items():
        assert has_default or name in env_example, f"{name} missing from .env.example"
    # Everything in .env.example is read by someone: compose, the settings or gunicorn.
    readers = text + "".join(
        (ROOT / path).read_text() for path in ("pospro/settings.py", "gunicorn.conf.py")
    )
    for name in env_example:
        assert name in readers, f".env.example sets {name}, which nothing reads"


def test_env_example_makes_a_production_configuration(env_example):
    assert env_example["DJANGO_SECRET_KEY"] == "change-me", "no usable secret ships"
    assert env_example["POSTGRES_PASSWORD"] == env_example["REPLICATION_PASSWORD"] == "change-me"
    assert env_example["DJANGO_ALLOWED_HOSTS"]


def test_dockerfile_is_multi_stage_slim_non_root_with_health_check():
    text = (ROOT / "Dockerfile").read_text()
    dockerfile = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    stages = re.findall(r"^FROM (\S+) AS (\w+)", dockerfile, re.MULTILINE)
    assert [image for image, _ in stages] == ["python:3.11-slim", "python:3.11-slim"]
    assert "COPY --from=build /opt/venv /opt/venv" in dockerfile
    assert "requirements.txt" in dockerfile
    assert "requirements-dev" not in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert user, "a USER line"
    assert not user[-1].startswith(("root", "0")), "runs as a non-root user"
    assert "collectstatic --noinput" in dockerfile
    assert re.search(r"^HEALTHCHECK .*\n.*deploy/healthcheck\.py", dockerfile, re.MULTILINE)
    assert 'ENTRYPOINT ["/app/deploy/entrypoint.sh"]' in dockerfile
    assert (ROOT / "deploy" / "entrypoint.sh").stat().st_mode & 0o111


def test_dockerignore_keeps_secrets_and_local_state_out_of_the_image():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", ".env", "deploy/certs", "staticfiles", ".demo"} <= ignored
    assert {"bench", "bench/"} & ignored, "the bench stays out of the image"

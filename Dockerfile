# syntax=docker/dockerfile:1
# PosPro API image: gunicorn serving pospro.wsgi, static files collected at build time and served
# by WhiteNoise. Runs behind nginx: docker-compose.yml, docs/operations.md.
#   docker build -t pospro .

# --- build: the dependencies, into a virtualenv copied whole into the final image -------------
FROM python:3.11-slim AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# Runtime dependencies only (all ship wheels: no compiler needed); requirements-dev.txt stays out.
COPY requirements.txt /tmp/requirements.txt
RUN pip install --requirement /tmp/requirements.txt

# --- runtime ----------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_DEBUG=false \
    GUNICORN_BIND=0.0.0.0:8000 \
    GUNICORN_WORKER_TMP_DIR=/dev/shm \
    PROMETHEUS_MULTIPROC_DIR=/tmp/pospro-metrics

RUN groupadd --system --gid 10001 pospro \
    && useradd --system --uid 10001 --gid pospro --no-create-home --home-dir /app \
       --shell /usr/sbin/nologin pospro

COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Code and collected static files stay owned by root: the app cannot rewrite itself.
COPY . /app

# Production settings refuse to load without a real secret key and a DATABASE_URL: throwaway ones,
# for this step only (collectstatic never connects).
RUN DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
    DATABASE_URL=postgres://build@localhost/none \
    python manage.py collectstatic --noinput --verbosity 0 \
    && python -m compileall -q /app

USER pospro:pospro
EXPOSE 8000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "/app/deploy/healthcheck.py"]

# Waits for the database, migrates once (advisory lock), then execs gunicorn (gunicorn.conf.py).
ENTRYPOINT ["/app/deploy/entrypoint.sh"]

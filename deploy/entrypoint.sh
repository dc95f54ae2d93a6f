#!/bin/sh
# Container entry point of the API image.
#
# No arguments: wait for the database, migrate once (several containers starting together take
# turns on a PostgreSQL advisory lock, see accounts/management/commands/migrate_locked.py), then
# become gunicorn: exec, so gunicorn is PID 1 and gets Docker's SIGTERM for a graceful shutdown.
# With arguments: run them instead (`docker compose run --rm api1 python manage.py ...`).
set -eu
cd "$(dirname "$0")/.."

if [ "$#" -gt 0 ]; then
  exec "$@"
fi

if [ "${POSPRO_MIGRATE_ON_START:-true}" = "true" ]; then
  python manage.py migrate_locked --wait-for-db "${POSPRO_DB_WAIT_SECONDS:-60}"
fi

exec gunicorn -c gunicorn.conf.py pospro.wsgi:application

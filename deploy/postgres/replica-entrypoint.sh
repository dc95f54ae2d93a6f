#!/bin/sh
# PostgreSQL streaming read replica: on first start (empty data volume), clone the primary with
# pg_basebackup through the replication slot, writing standby.signal and primary_conninfo (-R);
# then run the given command, the postgres image's own `docker-entrypoint.sh postgres`, which
# starts the clone as a hot standby. Later starts find the data and go straight to it.
set -eu
: "${PRIMARY_HOST:?set PRIMARY_HOST}"
: "${REPLICATION_USER:?set REPLICATION_USER}" "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
PGDATA=${PGDATA:-/var/lib/postgresql/data}

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL's files belong to postgres: clone as that user.
    mkdir -p "$PGDATA"
    chown postgres:postgres "$PGDATA"
    chmod 700 "$PGDATA"
    exec su-exec postgres "$0" "$@"
  fi
  until pg_isready -q -h "$PRIMARY_HOST" -p "${PRIMARY_PORT:-5432}"; do
    echo "replica: waiting for the primary at $PRIMARY_HOST..."
    sleep 2
  done
  echo "replica: cloning the primary"
  PGPASSWORD="$REPLICATION_PASSWORD" pg_basebackup \
    --host="$PRIMARY_HOST" --port="${PRIMARY_PORT:-5432}" --username="$REPLICATION_USER" \
    --pgdata="$PGDATA" --wal-method=stream --write-recovery-conf \
    --slot="${REPLICATION_SLOT:-pospro_replica}" --checkpoint=fast --no-password
  chmod 700 "$PGDATA"
fi

exec "$@"

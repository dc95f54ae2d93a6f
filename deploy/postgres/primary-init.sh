#!/bin/sh
# PostgreSQL primary: runs once, when its data volume is first initialised (mounted into
# /docker-entrypoint-initdb.d of the postgres image). Creates the role and the physical slot the
# streaming replica (replica-entrypoint.sh) clones and follows with, and lets that role make
# replication connections: pg_hba's "all" never matches a replication connection.
set -eu
: "${REPLICATION_USER:?set REPLICATION_USER}" "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  --set=role="$REPLICATION_USER" --set=password="$REPLICATION_PASSWORD" \
  --set=slot="${REPLICATION_SLOT:-pospro_replica}" <<'SQL'
CREATE ROLE :"role" WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot(:'slot');
SQL

echo "host replication $REPLICATION_USER all scram-sha-256" >> "$PGDATA/pg_hba.conf"

#!/bin/sh
# One-shot job (temporalio/admin-tools image): creates the `temporal` and `temporal_visibility` databases on
# PostgreSQL and brings both schemas up to date. Safe to run again: existing databases are kept and only newer
# schema versions are applied. Credentials come from deploy/postgres.env, never from a command line.
set -eu

: "${POSTGRES_USER:?is not set (deploy/postgres.env)}"
: "${POSTGRES_PASSWORD:?is not set (deploy/postgres.env)}"
export SQL_PLUGIN=postgres12
export SQL_HOST="${POSTGRES_SEEDS:-postgresql}"
export SQL_PORT="${DB_PORT:-5432}"
export SQL_USER="$POSTGRES_USER"
export SQL_PASSWORD="$POSTGRES_PASSWORD"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"

# the admin-tools image has nc; `npm run cluster` waits for PostgreSQL itself before running this script
if command -v nc >/dev/null 2>&1; then
  echo "waiting for PostgreSQL at $SQL_HOST:$SQL_PORT"
  nc -z -w 10 "$SQL_HOST" "$SQL_PORT"
fi

for pair in temporal:temporal visibility:temporal_visibility; do
  schema=${pair%%:*}
  database=${pair#*:}
  echo "database $database: create if missing, set up, update to the latest schema"
  temporal-sql-tool --db "$database" create
  temporal-sql-tool --db "$database" setup-schema -v 0.0
  temporal-sql-tool --db "$database" update-schema -d "$SCHEMA_DIR/$schema/versioned"
done
echo 'PostgreSQL schema set-up complete'

#!/usr/bin/env bash
# Makes sure a PostgreSQL server from the distribution's packages runs on loopback, with
# a `parley` role (password `parley`, CREATEDB) for the tests, and exports
# PARLEY_TEST_DATABASE_URL. Sourced by test.sh after setup.sh; safe to run again.
# A preset PARLEY_TEST_DATABASE_URL is used as is.
set -euo pipefail

if [ -n "${PARLEY_TEST_DATABASE_URL:-}" ]; then
  log "using PostgreSQL at the preset PARLEY_TEST_DATABASE_URL"
  return 0 2>/dev/null || exit 0
fi

PG_PORT=${PARLEY_PG_PORT:-5432}
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}

if ! command -v pg_isready >/dev/null 2>&1 || ! pg_isready -q -h 127.0.0.1 -p "$PG_PORT"; then
  apt_install postgresql
  version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
  if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    log "creating PostgreSQL $version cluster"
    as_root pg_createcluster "$version" main --port "$PG_PORT"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster "$version" main start || true
  for _ in $(seq 1 60); do
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" && break
    sleep 0.5
  done
  pg_isready -q -h 127.0.0.1 -p "$PG_PORT" || { log "PostgreSQL did not start on port $PG_PORT"; exit 1; }
fi

if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'parley'" | grep -q 1; then
  log "creating the parley test role"
  as_postgres psql -p "$PG_PORT" -qc "CREATE ROLE parley LOGIN CREATEDB PASSWORD 'parley'"
fi

export PARLEY_TEST_DATABASE_URL="postgres://parley:parley@127.0.0.1:$PG_PORT/postgres"

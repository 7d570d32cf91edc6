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

# TLS for the test of encrypted connections: a CA and a certificate for localhost made
# here (once), the cluster serving TLS with it, and a role `parley_tls` that pg_hba.conf
# lets in over TLS only. Exports PARLEY_TEST_TLS_DATABASE_URL (sslmode=verify-full).
setup_postgres_tls() {
  local version cluster conf tls hba
  read -r version cluster < <(pg_lsclusters -h | awk -v p="$PG_PORT" '$3 == p { print $1, $2; exit }')
  if [ -z "${version:-}" ]; then
    log "no Debian PostgreSQL cluster on port $PG_PORT: the TLS test needs PARLEY_TEST_TLS_DATABASE_URL"
    return 0
  fi
  conf=/etc/postgresql/$version/$cluster
  tls=$conf/parley-tls
  if ! as_root test -f "$tls/server.crt"; then
    log "making a test CA and a TLS certificate for PostgreSQL on localhost"
    apt_install openssl
    local work
    work=$(mktemp -d)
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
      -subj "/CN=Parley test CA" -keyout "$work/ca.key" -out "$work/ca.crt" 2>/dev/null
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$work/ext"
    openssl x509 -req -in "$work/server.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
      -days 3650 -extfile "$work/ext" -out "$work/server.crt" 2>/dev/null
    as_root install -d -m 755 "$tls"
    as_root install -m 644 "$work/ca.crt" "$work/server.crt" "$tls/"
    as_root install -m 600 -o postgres -g postgres "$work/server.key" "$tls/"
    rm -rf "$work"
  fi
  hba=$(as_postgres psql -p "$PG_PORT" -tAc "SHOW hba_file")
  if ! as_root grep -q parley_tls "$hba"; then
    as_root sed -i '1i hostnossl all parley_tls all reject\nhostssl all parley_tls 127.0.0.1/32 scram-sha-256\nhostssl all parley_tls ::1/128 scram-sha-256' "$hba"
  fi
  if ! as_postgres psql -p "$PG_PORT" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'parley_tls'" | grep -q 1; then
    as_postgres psql -p "$PG_PORT" -qc "CREATE ROLE parley_tls LOGIN CREATEDB PASSWORD 'parley'"
  fi
  as_postgres psql -p "$PG_PORT" -q \
    -c "ALTER SYSTEM SET ssl = on" \
    -c "ALTER SYSTEM SET ssl_cert_file = '$tls/server.crt'" \
    -c "ALTER SYSTEM SET ssl_key_file = '$tls/server.key'" \
    -c "SELECT pg_reload_conf()" >/dev/null
  export PARLEY_TEST_TLS_DATABASE_URL="postgres://parley_tls:parley@localhost:$PG_PORT/postgres?sslmode=verify-full&sslrootcert=$tls/ca.crt"
}
setup_postgres_tls

# Sourced by .ci/run: makes sure a PostgreSQL server answers on 127.0.0.1 and exports
# TENANTRY_TEST_POSTGRES_URL pointing at a database the tests may create schemas in.
#
# 1. An explicit TENANTRY_TEST_POSTGRES_URL wins.
# 2. Otherwise a server already on 127.0.0.1:5432 with trust auth (as on the project's machines).
# 3. Otherwise install PostgreSQL with apt-get if needed and start a private cluster on port
#    55432 in a temporary directory, stopped again when the script exits.

pg_answers() { # host port
  if command -v pg_isready >/dev/null 2>&1; then
    pg_isready -q -h "$1" -p "$2" -U postgres
  else
    (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
  fi
}

if [ -z "${TENANTRY_TEST_POSTGRES_URL:-}" ]; then
  if pg_answers 127.0.0.1 5432 && command -v psql >/dev/null 2>&1 \
     && psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
    psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qtAc \
      "SELECT 1 FROM pg_database WHERE datname = 'tenantry_ci'" | grep -q 1 \
      || psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qc 'CREATE DATABASE tenantry_ci'
    export TENANTRY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:5432/tenantry_ci"
  else
    if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
      echo "installing PostgreSQL"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq
      apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fi
    PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    CI_PGPORT=55432
    CI_PGDATA="$(mktemp -d)"
    if [ "$(id -u)" = 0 ]; then as_pg() { runuser -u postgres -- "$@"; }; chown postgres:postgres "$CI_PGDATA"; else as_pg() { "$@"; }; fi
    chmod 700 "$CI_PGDATA"
    as_pg "$PGBIN/initdb" -D "$CI_PGDATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
    as_pg "$PGBIN/pg_ctl" -D "$CI_PGDATA" -l "$CI_PGDATA/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $CI_PGPORT -k $CI_PGDATA -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
      start >/dev/null
    trap 'as_pg "$PGBIN/pg_ctl" -D "$CI_PGDATA" -m fast -w stop >/dev/null 2>&1 || true' EXIT
    "$PGBIN/psql" -h 127.0.0.1 -p "$CI_PGPORT" -U postgres -d postgres -qc 'CREATE DATABASE tenantry_ci'
    export TENANTRY_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$CI_PGPORT/tenantry_ci"
  fi
fi

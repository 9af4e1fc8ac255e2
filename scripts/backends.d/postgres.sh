# Backend module: a PostgreSQL 15 cluster of its own on 127.0.0.1:55432.
#
# Data, socket and log live under $BACKFLIP_BACKENDS_DIR/postgres. Local connections
# are trusted (user `postgres`), except the role `bf_secret`, which must give its
# password (scram-sha-256): the password-redaction tests log in with it.

PG_PORT=55432
PG_BIN=/usr/lib/postgresql/15/bin
PG_SECRET_ROLE=bf_secret

postgres_dir() { echo "$BACKFLIP_BACKENDS_DIR/postgres"; }

postgres_pg() { runuser -u postgres -- "$@"; }

postgres_up() {
  [ -x "$PG_BIN/postgres" ] || apt_install postgresql-15
  local dir; dir="$(postgres_dir)"
  install -d -o postgres -m 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    rm -rf "$dir/data"
    postgres_pg "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres >/dev/null || return 1
  fi
  # The password role first, then trust for everything else (first matching line wins).
  cat > "$dir/data/pg_hba.conf" <<HBA
local all $PG_SECRET_ROLE scram-sha-256
host  all $PG_SECRET_ROLE 127.0.0.1/32 scram-sha-256
local all all trust
host  all all 127.0.0.1/32 trust
HBA
  chown postgres "$dir/data/pg_hba.conf"
  if postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 &&
    wait_for "postgres on 127.0.0.1:$PG_PORT" 10 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    echo "    postgres already running"
    postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" reload >/dev/null || return 1
  else
    # A half-dead cluster (postmaster killed, children lingering) is stopped first; a
    # stale postmaster.pid alone is detected and ignored by postgres itself.
    postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 \
      -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null || return 1
    wait_for "postgres on 127.0.0.1:$PG_PORT" 30 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || return 1
  fi
  local password_file="$dir/secret-password"
  [ -f "$password_file" ] || head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file"
  chmod 600 "$password_file"
  local password; password="$(cat "$password_file")"
  "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -v role="$PG_SECRET_ROLE" -v pw="$password" <<'SQL' || return 1
SELECT format('CREATE ROLE %I LOGIN', :'role') WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role') \gexec
SELECT format('ALTER ROLE %I LOGIN CREATEDB PASSWORD %L', :'role', :'pw') \gexec
SQL
  write_env postgres \
    "PG_HOST=127.0.0.1" \
    "PG_PORT=$PG_PORT" \
    "PG_USER=postgres" \
    "PG_DATABASE=postgres" \
    "PG_SOCKET_DIR=$dir" \
    "PG_BIN=$PG_BIN" \
    "PSQL=$PG_BIN/psql" \
    "PG_SECRET_USER=$PG_SECRET_ROLE" \
    "PG_SECRET_PASSWORD=$password"
}

postgres_down() {
  local dir; dir="$(postgres_dir)"
  [ -f "$dir/data/PG_VERSION" ] || return 0
  postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 || return 0
  postgres_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

postgres_status() {
  if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    echo "    up: 127.0.0.1:$PG_PORT (data $(postgres_dir)/data)"
  else
    echo "    down"; return 1
  fi
}

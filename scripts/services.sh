#!/usr/bin/env bash
# Local PostgreSQL and Redis on loopback, in a project-local data folder (.local/).
#   scripts/services.sh up|down|status|env
# Idempotent. Installs the Debian packages postgresql and redis-server when missing (as root).
# Writes .local/services.env with DATABASE_URL and REDIS_URL for the other scripts.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="$root/.local"
pg_port="${HOMELINE_PG_PORT:-55432}"
redis_port="${HOMELINE_REDIS_PORT:-56379}"
redis_hz=100
pg_data="$state/pg"
# As root, PostgreSQL runs as the postgres user, who must be able to reach the data folder; a checkout
# under a private directory (mode 700) cannot host it, so the cluster then lives under /var/tmp.
if [ "$(id -u)" -eq 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$root" 2>/dev/null; then
  pg_data="/var/tmp/homeline-$(printf '%s' "$root" | sha1sum | cut -c1-12)/pg"
  mkdir -p "$(dirname "$pg_data")"
fi
redis_dir="$state/redis"
env_file="$state/services.env"
pg_user=homeline
pg_password=homeline

log() { printf '[services] %s\n' "$*" >&2; }

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }
  done
  return 1
}

install_missing() {
  local wanted=()
  pg_bin >/dev/null 2>&1 || wanted+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
  [ ${#wanted[@]} -eq 0 ] && return
  if [ "$(id -u)" -ne 0 ]; then
    log "missing ${wanted[*]}; install them (apt-get install ${wanted[*]}) or run as root"
    exit 1
  fi
  log "installing ${wanted[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${wanted[@]}" >/dev/null
  # the Debian packages start their own default services; ours run separately on other ports
}

# PostgreSQL refuses to run as root; as root we run it as the postgres system user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_url() { echo "postgres://$pg_user:$pg_password@127.0.0.1:$pg_port/$1"; }

pg_up() {
  local bin; bin="$(pg_bin)"
  mkdir -p "$state"
  # another checkout's server (or one started by hand) already answers with our credentials: share it
  if [ ! -s "$pg_data/postmaster.pid" ] && "$bin/psql" "$(pg_url postgres)" -tAc 'SELECT 1' >/dev/null 2>&1; then
    log "PostgreSQL already answering on 127.0.0.1:$pg_port; using it"
  else
    pg_start "$bin"
  fi
  "$bin/psql" "$(pg_url postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = 'homeline'" | grep -q 1 ||
    "$bin/psql" "$(pg_url postgres)" -qc 'CREATE DATABASE homeline'
}

# the project's own cluster: created on first use, then started
pg_start() {
  local bin="$1"
  if [ ! -s "$pg_data/PG_VERSION" ]; then
    log "initialising PostgreSQL cluster in $pg_data"
    mkdir -p "$pg_data"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$pg_data"
    chmod 700 "$pg_data"
    local pwfile; pwfile="$(mktemp)"
    echo "$pg_password" >"$pwfile"
    [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
    as_pg "$bin/initdb" -D "$pg_data" -U "$pg_user" --pwfile="$pwfile" --auth-local=trust \
      --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$pg_data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pg_port
unix_socket_directories = '$pg_data'
max_connections = 400
shared_buffers = 256MB
timezone = 'UTC'
log_min_messages = warning
CONF
  fi
  if as_pg "$bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
    log "PostgreSQL already running on 127.0.0.1:$pg_port"
  else
    as_pg "$bin/pg_ctl" -D "$pg_data" -l "$pg_data/server.log" -w -t 60 start >/dev/null
    log "PostgreSQL started on 127.0.0.1:$pg_port"
  fi
}

redis_up() {
  mkdir -p "$redis_dir"
  if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
    redis-cli -h 127.0.0.1 -p "$redis_port" config set hz "$redis_hz" >/dev/null
    log "Redis already running on 127.0.0.1:$redis_port"
    return
  fi
  # hz 100: Redis ends blocking waits on its timer ticks, so at the default 10 a delayed job (a reminder)
  # that falls due while the queue is idle starts up to 100 ms late; at 100, within about 10 ms
  redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$redis_dir" --daemonize yes \
    --pidfile "$redis_dir/redis.pid" --logfile "$redis_dir/redis.log" --hz "$redis_hz" \
    --appendonly yes --appendfsync everysec --maxmemory-policy noeviction --save ''
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  log "Redis started on 127.0.0.1:$redis_port (AOF on, noeviction)"
}

write_env() {
  mkdir -p "$state"
  cat >"$env_file" <<ENV
DATABASE_URL=$(pg_url homeline)
REDIS_URL=redis://127.0.0.1:$redis_port
ENV
}

case "${1:-status}" in
  up)
    install_missing
    pg_up
    redis_up
    write_env
    ;;
  down)
    if bin="$(pg_bin 2>/dev/null)" && [ -s "$pg_data/PG_VERSION" ]; then
      as_pg "$bin/pg_ctl" -D "$pg_data" -m fast stop >/dev/null 2>&1 && log "PostgreSQL stopped" || true
    fi
    redis-cli -h 127.0.0.1 -p "$redis_port" shutdown >/dev/null 2>&1 && log "Redis stopped" || true
    ;;
  status)
    bin="$(pg_bin 2>/dev/null || true)"
    if [ -n "$bin" ] && [ -s "$pg_data/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$pg_data" status >/dev/null 2>&1; then
      echo "postgresql: up (127.0.0.1:$pg_port)"
    elif [ -n "$bin" ] && "$bin/psql" "$(pg_url postgres)" -tAc 'SELECT 1' >/dev/null 2>&1; then
      # as `up` does, a server of another checkout (or one started by hand) that answers is shared
      echo "postgresql: up (127.0.0.1:$pg_port, another data directory's server)"
    else
      echo "postgresql: down"
    fi
    if redis-cli -h 127.0.0.1 -p "$redis_port" ping >/dev/null 2>&1; then
      echo "redis: up (127.0.0.1:$redis_port)"
    else
      echo "redis: down"
    fi
    ;;
  env)
    write_env
    cat "$env_file"
    ;;
  *)
    echo "usage: $0 up|down|status|env" >&2
    exit 2
    ;;
esac

#!/usr/bin/env bash
# One command from a fresh clone to a running Homeline (npm run up):
# dependencies, PostgreSQL and Redis, local secrets, build, migrations, demo seed, then the app.
#   DATABASE_URL and REDIS_URL given together: use them, start no local services.
#   JWT_SECRET / CODE_PEPPER not given: generated once into .local/secrets.env (development only).
#   APP_ROLE (default all) and PORT (default 3000) are honoured.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[up] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  die "Node.js 20 or newer is required (found $(node --version))"

bash scripts/ensure-deps.sh

# Exports KEY=VALUE lines from a file, but only for keys the environment does not already set.
load_missing() {
  local key value
  while IFS='=' read -r key value || [ -n "$key" ]; do
    [[ "$key" =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || continue
    [ -n "${!key:-}" ] || export "$key=$value"
  done <"$1"
}

if [ -n "${DATABASE_URL:-}" ] && [ -n "${REDIS_URL:-}" ]; then
  log "using DATABASE_URL and REDIS_URL from the environment"
else
  bash scripts/services.sh up
  load_missing .local/services.env
fi

if [ -z "${JWT_SECRET:-}" ] || [ -z "${CODE_PEPPER:-}" ]; then
  [ "${NODE_ENV:-development}" != production ] ||
    die "NODE_ENV=production: set JWT_SECRET and CODE_PEPPER yourself (at least 32 characters each)"
  secrets=.local/secrets.env
  mkdir -p .local
  touch "$secrets"
  chmod 600 "$secrets"
  for name in JWT_SECRET CODE_PEPPER; do
    if ! grep -q "^$name=" "$secrets"; then
      log "generating $name into $secrets"
      printf '%s=%s\n' "$name" "$(node -e 'process.stdout.write(require("node:crypto").randomBytes(48).toString("base64url"))')" >>"$secrets"
    fi
  done
  load_missing "$secrets"
fi

# Rebuild when dist is missing or any source, migration or build setting is newer than the last build.
if [ ! -f dist/src/main.js ] ||
  [ -n "$(find src migrations package-lock.json tsconfig.json tsconfig.build.json nest-cli.json \
    -newer dist/src/main.js -print -quit)" ]; then
  log "building (npm run build)"
  npm run build
fi

node dist/src/database/migrate.js up
node dist/src/database/seed.js

export APP_ROLE="${APP_ROLE:-all}"
export PORT="${PORT:-3000}"

if [ "$APP_ROLE" = worker ]; then
  log "starting workers only (APP_ROLE=worker)"
  exec node dist/src/worker.js
fi

cat >&2 <<URLS

  Homeline (APP_ROLE=$APP_ROLE)
  API   http://localhost:$PORT/v1
  Docs  http://localhost:$PORT/docs

URLS
# the API as `npm start` runs it, but as this process (npm would not pass a SIGTERM on to node): the
# same node flags, which a test keeps in step (see README, Configuration)
exec node --max-semi-space-size=64 --no-allocation-site-pretenuring dist/src/main.js

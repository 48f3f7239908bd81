#!/usr/bin/env bash
# Everything CI runs (npm run test:all): local PostgreSQL and Redis, type-check, then every jest tier.
# Extra arguments go to jest, e.g. `npm run test:all -- test/e2e`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[test-all] %s\n' "$*" >&2; }

bash scripts/ensure-deps.sh

bash scripts/services.sh up
set -a
# shellcheck source=/dev/null
. .local/services.env
set +a
export NODE_ENV=test

log "type-checking"
npx tsc --noEmit -p tsconfig.json

log "running jest"
exec npx jest --ci "$@"

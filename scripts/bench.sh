#!/usr/bin/env bash
# Runs one benchmark against the local services: scripts/bench.sh <name> [args...] (bench/<name>.ts).
# Without a name, lists the benchmarks.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

name="${1:-}"
name="${name#bench/}"
name="${name%.ts}"
if [ -z "$name" ]; then
  echo "usage: scripts/bench.sh <name> [args...]; benchmarks:"
  for file in bench/*.ts; do
    [ -e "$file" ] && basename "$file" .ts | sed 's/^/  /'
  done
  exit 0
fi
shift
[ -f "bench/$name.ts" ] || { echo "no such benchmark: bench/$name.ts" >&2; exit 2; }

bash scripts/ensure-deps.sh
bash scripts/services.sh up
set -a
# shellcheck source=/dev/null
. .local/services.env
set +a

# compiled, as production runs the service (see bench/lib/common.ts)
echo "[bench] building (nest build)" >&2
npx nest build
exec node "dist/bench/$name.js" "$@"

#!/usr/bin/env bash
# Installs node_modules when missing or older than package-lock.json (used by up, test-all, bench).
# npm install, not npm ci: the registry this project is built against lacks some optional
# platform-only packages (msgpackr-extract's macOS/Windows builds), which npm ci refuses to skip;
# npm install keeps the locked versions and skips the missing optional ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# npm writes node_modules/.package-lock.json on every install; the folder's own mtime is not reliable
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[deps] installing dependencies (npm install)" >&2
  npm install --no-audit --no-fund
fi

#!/usr/bin/env bash
# Regenerates openapi.json from the code (npm run openapi) after an intended API change.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/services.sh up
set -a
. .local/services.env
JWT_SECRET="${JWT_SECRET:-openapi-generation-secret-0123456789abcdef}"
CODE_PEPPER="${CODE_PEPPER:-openapi-generation-pepper-0123456789abcdef}"
set +a
exec npx ts-node --transpile-only scripts/generate-openapi.ts

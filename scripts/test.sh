#!/usr/bin/env bash
# `npm test`: every gate in a fixed order. Unit tests run anywhere; integration tests and the
# Playwright e2e need root (namespaces, sysctls, tracefs) and skip with a message elsewhere.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
echo "== format:check" && npx biome format . >/dev/null
echo "== lint" && npx biome lint .
echo "== typecheck" && npm run -s typecheck
echo "== build" && npm run -s build
echo "== unit" && npx vitest run --project unit
echo "== integration" && npx vitest run --project integration
echo "== e2e" && npm run -s e2e

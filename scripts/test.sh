#!/usr/bin/env bash
# `npm test`: every gate in a fixed order. Unit tests run anywhere; integration tests and the
# Playwright e2e need root (namespaces, sysctls, tracefs) and skip with a message elsewhere.
# The gates stop at the first failure; the three test stages all run, then one summary line.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-deps.sh
echo "== format:check" && npx biome format . >/dev/null
echo "== lint" && npx biome lint .
echo "== typecheck" && npm run -s typecheck
echo "== build" && npm run -s build

reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT
status=0
echo "== unit"
npx vitest run --project unit --reporter=default --reporter=json --outputFile.json="$reports/unit.json" || status=1
echo "== integration"
npx vitest run --project integration --reporter=default --reporter=json --outputFile.json="$reports/integration.json" || status=1
echo "== e2e"
PLAYWRIGHT_JSON_OUTPUT_FILE="$reports/e2e.json" npm run -s e2e -- --reporter=list,json || status=1
echo "== e2e (Open vSwitch lab)"
HOPWATCH_E2E_OVS=1 HOPWATCH_E2E_NO_BUILD=1 PLAYWRIGHT_JSON_OUTPUT_FILE="$reports/e2e-ovs.json" \
  npm run -s e2e -- --reporter=list,json || status=1

node scripts/summary.mjs "$reports/unit.json" "$reports/integration.json" "$reports/e2e.json" "$reports/e2e-ovs.json" || status=1
exit $status

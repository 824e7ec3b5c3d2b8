#!/usr/bin/env bash
# `npm test`: type check, Rego policy tests, the OPA conformance suites (OPA's
# own IR plans on our runtime, then our Rego front end end to end), and the
# jest suites. Each step prints its own summary line; any failure fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"
npx tsc --noEmit -p tsconfig.json

echo "== Rego policy tests (policies/*_test.rego)"
npm run -s policy:test

COMPLIANCE_DIR="${OPA_COMPLIANCE_DIR:-../shared/opa-compliance/v1}"
if [ -d "$COMPLIANCE_DIR" ]; then
  echo "== OPA conformance: OPA's plans on our runtime"
  npm run -s compliance -- plans "$COMPLIANCE_DIR" --known-failures rego-wasm/compliance-known-failures.txt
  echo "== OPA conformance: our Rego front end, end to end"
  npm run -s compliance -- rego "$COMPLIANCE_DIR" --known-failures rego-wasm/compliance-known-failures.txt
else
  echo "== OPA conformance: skipped, $COMPLIANCE_DIR not found (set OPA_COMPLIANCE_DIR)" >&2
  if [ "${CI:-}" = "true" ]; then echo "CI must run the conformance suites" >&2; exit 1; fi
fi

echo "== jest"
npx jest --ci

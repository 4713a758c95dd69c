#!/usr/bin/env bash
# tests/openapi/lint.sh: lint docs/openapi.yaml with Redocly CLI, strictly
# (tests/openapi/redocly.yaml: recommended-strict plus a few rules; the two
# deliberate exceptions are in tests/openapi/.redocly.lint-ignore.yaml).
# Needs `npm ci` in tests/openapi first (scripts/test does it). Runs offline:
# telemetry and update notices are off. Exit status 0 only with 0 problems.
# Usage: tests/openapi/lint.sh [OPENAPI_YAML]   (default: docs/openapi.yaml)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
doc=$(realpath "${1:-$here/../../docs/openapi.yaml}")
redocly=$here/node_modules/.bin/redocly
if [[ ! -x $redocly ]]; then
  echo "error: Redocly CLI is not installed: run (cd tests/openapi && npm ci)" >&2
  exit 2
fi
# @redocly/cli 2.x needs node >= 20.19 (or >= 22.12).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>=22&&(a>22||b>=12)||a===20&&b>=19?0:1)'; then
  echo "error: node $(node --version) is too old for @redocly/cli: it needs >= 20.19 or >= 22.12" >&2
  exit 2
fi
cd "$here"   # the ignore file names the document relative to this folder
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true REDOCLY_SUPPRESS_NOTIFICATIONS=true
# --lint-config error: a mistake in redocly.yaml fails too; --max-problems: list them all.
# The boxed notices on stderr (on node 20: "Node.js 20 support is ending") are dropped;
# the exit status is the linter's (pipefail).
{ "$redocly" lint --config "$here/redocly.yaml" --lint-config error --max-problems 10000 \
    --format stylish "$(realpath --relative-to="$here" "$doc")" 2>&1 1>&3 3>&- \
    | sed '/╔/,/╚/d' >&2; } 3>&1

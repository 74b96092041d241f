#!/usr/bin/env bash
# Self-test of the test OpenID provider and the scripted browser.
# Installs the pinned dependencies (npm ci) when node_modules is missing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -d "$here/node_modules/oidc-provider" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node "$here/selftest.mjs"

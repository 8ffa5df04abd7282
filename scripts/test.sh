#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: `npm test`.
# Installs what the tests need (Chromium for the browser tests, from Debian's
# packages, when it is missing and we may install it), runs vitest once over
# every workspace package on the embedded defaults (SQLite), then runs the
# database integration suites again against a throwaway PostgreSQL cluster
# (scripts/db/postgres-up.sh). Arguments are passed to the first vitest run
# only, and skip the PostgreSQL pass: `npm test -- packages/merge`.
# GRAFT_SKIP_POSTGRES=1 skips the PostgreSQL pass explicitly.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "» installing Chromium (browser tests)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  else
    echo "warning: /usr/bin/chromium is missing; browser tests will fail (apt-get install chromium)" >&2
  fi
fi
echo "» vitest (SQLite)"
pnpm exec vitest run "$@"
[ $# -gt 0 ] && exit 0
if [ "${GRAFT_SKIP_POSTGRES:-}" = 1 ]; then
  echo "» PostgreSQL pass skipped (GRAFT_SKIP_POSTGRES=1)"
  exit 0
fi
pgdir="$(mktemp -d "${TMPDIR:-/tmp}/graft-pg.XXXXXX")"
trap 'bash scripts/db/postgres-down.sh "$pgdir"' EXIT
echo "» starting PostgreSQL"
GRAFT_TEST_POSTGRES_URL="$(bash scripts/db/postgres-up.sh "$pgdir")"
export GRAFT_TEST_POSTGRES_URL
echo "» vitest (PostgreSQL): database, domain, HTTP API and pg-boss worker suites"
pnpm exec vitest run packages/db packages/core apps/web/src/test/api apps/web/src/test/faults/webhook-kill.test.ts scripts/worker-pgboss.test.ts

#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: `npm test`.
# Installs what the tests need (Chromium for the browser tests, from Debian's
# packages, when it is missing and we may install it), then runs vitest once
# over every workspace package.
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
echo "» vitest"
exec pnpm exec vitest run "$@"

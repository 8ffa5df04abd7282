#!/usr/bin/env bash
# Shared first step of `npm start` and `npm test` on a fresh machine: make
# sure pnpm exists (corepack's signature check can fail offline, so pnpm is
# installed from the npm registry) and install the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export NEXT_TELEMETRY_DISABLED=1 CHECKPOINT_DISABLE=1 PRISMA_HIDE_UPDATE_MESSAGE=1
if ! command -v pnpm >/dev/null 2>&1; then
  echo "» installing pnpm 10 from the npm registry"
  npm install -g pnpm@10 >/dev/null 2>&1 || {
    # no permission for a global install: keep it inside the repo
    npm install --prefix .tools pnpm@10 >/dev/null
    export PATH="$PWD/.tools/node_modules/.bin:$PATH"
  }
fi
echo "» pnpm install"
pnpm install --frozen-lockfile --reporter=silent

#!/usr/bin/env bash
# One command from a fresh clone to a running marketplace: `npm start`.
# Installs the workspace, prepares the embedded SQLite database and the local
# blob store under data/, trains the demo models (cached under data/lab),
# seeds the demo marketplace (once), builds the web app and serves it, with
# its in-process merge worker, on http://localhost:3000.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bootstrap.sh
[ -f .env ] || cp .env.example .env
echo "» training the demo models (TensorFlow.js; a few minutes the first time, cached under data/lab)"
pnpm exec tsx scripts/demo/train.ts
echo "» preparing the database, blob store and demo marketplace"
pnpm exec tsx scripts/setup.ts
echo "» building the web app"
pnpm --filter @graft/web build >/dev/null
echo "» Graft is starting on http://localhost:${PORT:-3000}"
exec pnpm --filter @graft/web start -p "${PORT:-3000}"

#!/usr/bin/env bash
# Runs the Prisma 6 CLI without native engines. Graft uses the TypeScript
# query compiler with driver adapters (libSQL, pg), so the CLI only needs the
# schema engine's *JS* paths: migrate diff, migrate deploy, db push, generate.
# The CLI still insists the native engine files exist, so we point it at empty
# placeholders and tell it not to verify their checksums.
#
# `generate` builds both clients: SQLite (packages/db/generated/client) from
# prisma/schema.prisma, PostgreSQL (packages/db/generated/postgres) from the
# schema derived from it (scripts/db/postgres-schema.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
stub="$root/node_modules/.cache/prisma-engine-stubs"
mkdir -p "$stub"
: >"$stub/libquery_engine.so.node"
: >"$stub/schema-engine"
chmod +x "$stub/schema-engine"
export PRISMA_QUERY_ENGINE_LIBRARY="$stub/libquery_engine.so.node"
export PRISMA_SCHEMA_ENGINE_BINARY="$stub/schema-engine"
export PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING=1
export PRISMA_HIDE_UPDATE_MESSAGE=1
export CHECKPOINT_DISABLE=1
if [ -z "${DATABASE_URL:-}" ]; then
  # prisma.config.ts opens this database through the libSQL adapter even for
  # commands that never touch it (migrate diff); its folder must exist.
  mkdir -p "$root/data"
  export DATABASE_URL="file:$root/data/graft.db"
fi
prisma="$root/node_modules/.bin/prisma"
if [ "${1:-}" = "generate" ] && [ $# -eq 1 ]; then
  bash "$root/scripts/db/postgres-schema.sh"
  "$prisma" generate
  exec "$prisma" generate --schema "$root/prisma/postgres/schema.prisma"
fi
exec "$prisma" "$@"

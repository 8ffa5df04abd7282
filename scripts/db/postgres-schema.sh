#!/usr/bin/env bash
# Derives the PostgreSQL schema from the one schema source: prisma/schema.prisma
# (SQLite) with only the datasource provider and the client's output folder
# changed. Usage: postgres-schema.sh [SOURCE] [TARGET]; defaults write
# prisma/postgres/schema.prisma (ignored by git, regenerated on every run).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
source="${1:-$root/prisma/schema.prisma}"
target="${2:-$root/prisma/postgres/schema.prisma}"
mkdir -p "$(dirname "$target")"
grep -q 'provider *= *"sqlite"' "$source" || { echo "postgres-schema: no sqlite provider in $source" >&2; exit 1; }
grep -q 'output *= *"../packages/db/generated/client"' "$source" || { echo "postgres-schema: unexpected client output in $source" >&2; exit 1; }
{
  echo "// GENERATED from prisma/schema.prisma by scripts/db/postgres-schema.sh — edit that file instead."
  sed -e 's|provider *= *"sqlite"|provider = "postgresql"|' \
      -e 's|output *= *"../packages/db/generated/client"|output     = "../../packages/db/generated/postgres"|' "$source"
} >"$target"

#!/usr/bin/env bash
# Writes the next SQL migration from the change to prisma/schema.prisma since
# the last commit: `pnpm migration:new <name>`. (`prisma migrate dev` needs the
# native schema engine; `migrate diff` between two schema files does not.)
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: pnpm migration:new <name>}"
previous="$(mktemp --suffix=.prisma)"
trap 'rm -f "$previous"' EXIT
git show HEAD:prisma/schema.prisma >"$previous"
count=$(find prisma/migrations -mindepth 1 -maxdepth 1 -type d | wc -l)
dir="prisma/migrations/$(printf '%04d' $((count + 1)))_${name}"
mkdir -p "$dir"
bash scripts/prisma.sh migrate diff --from-schema-datamodel "$previous" --to-schema-datamodel prisma/schema.prisma --script --output "$dir/migration.sql" >/dev/null
if grep -q "empty migration" "$dir/migration.sql"; then
  rm -r "$dir"
  echo "no schema change since the last commit" >&2
  exit 1
fi
echo "wrote $dir/migration.sql"

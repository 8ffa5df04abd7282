#!/usr/bin/env bash
# Writes the next SQL migration, for both dialects, from the change to
# prisma/schema.prisma since the last commit: `pnpm migration:new <name>`.
# SQLite goes to prisma/migrations/NNNN_name, PostgreSQL to
# prisma/migrations-postgres/NNNN_name: same names, same order, one source.
# (`prisma migrate dev` needs the native schema engine; `migrate diff`
# between two schema files does not.)
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: pnpm migration:new <name>}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git show HEAD:prisma/schema.prisma >"$work/previous.prisma"
bash scripts/db/postgres-schema.sh "$work/previous.prisma" "$work/previous-pg.prisma"
bash scripts/db/postgres-schema.sh prisma/schema.prisma "$work/current-pg.prisma"
count=$(find prisma/migrations -mindepth 1 -maxdepth 1 -type d | wc -l)
folder="$(printf '%04d' $((count + 1)))_${name}"

diff_into() { # from to out
  mkdir -p "$(dirname "$3")"
  bash scripts/prisma.sh migrate diff --from-schema-datamodel "$1" --to-schema-datamodel "$2" --script --output "$3" >/dev/null
}
diff_into "$work/previous.prisma" prisma/schema.prisma "prisma/migrations/$folder/migration.sql"
if grep -q "empty migration" "prisma/migrations/$folder/migration.sql"; then
  rm -r "prisma/migrations/$folder"
  echo "no schema change since the last commit" >&2
  exit 1
fi
diff_into "$work/previous-pg.prisma" "$work/current-pg.prisma" "prisma/migrations-postgres/$folder/migration.sql"
echo "wrote prisma/migrations/$folder and prisma/migrations-postgres/$folder"

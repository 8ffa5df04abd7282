#!/usr/bin/env bash
# Stops a cluster started by postgres-up.sh and deletes its folder.
set -euo pipefail
dir="${1:?usage: postgres-down.sh DIR}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi
[ -d "$dir/data" ] && "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -s stop >&2 || true
rm -rf "$dir"

#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster for tests (Debian's package, installed
# with apt-get when missing) and prints its superuser URL on stdout.
#   postgres-up.sh DIR   → cluster data and socket under DIR, on a free port
#   postgres-down.sh DIR → stops it
# Runs the server as the `postgres` system user when started as root (initdb
# refuses root). Trust authentication on loopback only: test use.
set -euo pipefail
dir="${1:?usage: postgres-up.sh DIR}"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$bin" ]; then
  echo "installing PostgreSQL from Debian's packages…" >&2
  export DEBIAN_FRONTEND=noninteractive
  (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) >&2
  bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
fi
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi
mkdir -p "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
"${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >/dev/null
"${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -s \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >&2
echo "postgresql://postgres@127.0.0.1:$port/postgres"

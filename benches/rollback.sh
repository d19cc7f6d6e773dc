#!/usr/bin/env bash
# Measures `upsignon rollback --yes` on a database seeded with 10,000 users and
# their vaults: install release A, seed, upgrade to release B (two more
# migrations), roll back, and time the rollback from command start to the old
# version ready. The baseline, measured in the same run, is a plain restart of
# the same server (stop, start, ready): the rollback's cost is what it adds.
#
# Usage: [PROFILE=release] benches/rollback.sh [sqlite|postgres] [USERS]
# Needs: target/PROFILE/upsignon (A) and target/newer-release/PROFILE/upsignon (B);
# PROFILE=debug (the default) uses the builds of `cargo test -p upsignon --test
# upgrade_rollback`. Both are built here if missing. Each step of the rollback is
# printed with the milliseconds since the command started.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
users=${2:-10000}
profile=${PROFILE:-debug}
release_flag=()
[ "$profile" = release ] && release_flag=(--release)
a=target/$profile/upsignon
b=target/newer-release/$profile/upsignon
[ -x "$a" ] || cargo build "${release_flag[@]}" -p upsignon
[ -x "$b" ] || CARGO_TARGET_DIR=target/newer-release UPSIGNON_VERSION_OVERRIDE=0.2.0-test \
  UPSIGNON_EXTRA_MIGRATIONS="$PWD/crates/upsignon-testkit/migrations-newer" cargo build "${release_flag[@]}" -p upsignon
cargo build -q -p upsignon-release
work=$(mktemp -d)
pid() { head -n1 "$work/root/var/lib/upsignon/upsignon.pid"; }
trap 'kill $(pid 2>/dev/null) 2>/dev/null || true; [ -n "${pgdb:-}" ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)"; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/root/usr/bin" && cp "$a" "$work/root/usr/bin/upsignon"
exe="$work/root/usr/bin/upsignon"
config="$work/root/etc/upsignon/upsignon.toml"
db_args=()
if [ "$backend" = postgres ]; then
  pgdb="upsignon_bench_$$"
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $pgdb"
  db_args=(--database-url "postgres://postgres@127.0.0.1:5432/$pgdb")
fi
ms() { date +%s%3N; }
ready_version() { curl -sk "https://127.0.0.1:$port/health/ready" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("version",""))' 2>/dev/null || true; }

"$exe" install --prefix "$work/root" --listen "127.0.0.1:$port" --non-interactive "${db_args[@]}" >/dev/null

seed_sql="
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $users)
INSERT INTO users (id, tenant_id, email, created_at)
SELECT 'user-' || i, (SELECT id FROM tenants LIMIT 1), 'user' || i || '@example.com', 1763900000000 FROM n;
INSERT INTO vaults (user_id, encrypted_data, version, updated_at)
SELECT id, substr(replace(hex(zeroblob(2048)), '00', 'ab'), 1, 4096), 1, 1763900000000 FROM users;"
if [ "$backend" = postgres ]; then
  pg_seed=${seed_sql//"substr(replace(hex(zeroblob(2048)), '00', 'ab'), 1, 4096)"/"repeat('ab', 2048)"}
  psql -h 127.0.0.1 -U postgres -d "$pgdb" -qc "$pg_seed"
else
  sqlite3 "$work/root/var/lib/upsignon/upsignon.db" "$seed_sql"
fi

target/debug/upsignon-release keygen --secret "$work/release.key" --public "$work/release.pub" >/dev/null
archive=$(target/debug/upsignon-release pack --binary "$b" --key "$work/release.key" --out-dir "$work")
export UPSIGNON_RELEASE_PUBLIC_KEYS=$(cat "$work/release.pub")

# Baseline: stop, start, ready, for the same server and data.
start=$(ms)
old_pid=$(pid)
kill "$old_pid"
while kill -0 "$old_pid" 2>/dev/null; do sleep 0.01; done
( setsid "$exe" --config "$config" serve >>"$work/root/var/lib/upsignon/upsignon.log" 2>&1 & echo $! >"$work/root/var/lib/upsignon/upsignon.pid" )
until [ "$(ready_version)" != "" ]; do sleep 0.01; done
restart_ms=$(( $(ms) - start ))

upgrade_start=$(ms)
"$exe" --config "$config" upgrade --from "$archive" >/dev/null
upgrade_ms=$(( $(ms) - upgrade_start ))

start=$(ms)
"$exe" --config "$config" rollback --yes | while IFS= read -r line; do echo "  +$(( $(ms) - start )) ms  $line"; done
rollback_ms=$(( $(ms) - start ))
[ "$(ready_version)" = "$("$a" --version | cut -d' ' -f2)" ] || { echo "old version not ready after rollback"; exit 1; }

echo "backend=$backend users=$users profile=$profile"
echo "restart (baseline): ${restart_ms} ms"
echo "upgrade --from:     ${upgrade_ms} ms (includes the pre-upgrade backup)"
echo "rollback --yes:     ${rollback_ms} ms (command start to old version ready)"
python3 -c "print(f'rollback / restart = {$rollback_ms/$restart_ms:.2f}')"

#!/usr/bin/env bash
# Backup and restore throughput on a database seeded with about SIZE_MB of
# vault data (64 KiB of ciphertext-like text per vault), against the
# backend's own tools measured in the same run on the same data:
#   SQLite:     `sqlite3 DB ".backup FILE"`  and  `sqlite3 NEW ".restore FILE"`
#   PostgreSQL: `pg_dump -Fc`                and  `pg_restore -d NEW`
# Ours is `upsignon backup` (consistent snapshot -> JSON lines -> gzip ->
# age) and `upsignon restore` (full verification pass, then one transaction).
# Peak memory (max RSS) is measured for each command.
#
# Usage: benches/backup.sh [sqlite|postgres] [SIZE_MB]     (default: sqlite 1024)
# Needs: target/release/upsignon (built here if missing), sqlite3, PostgreSQL
# on 127.0.0.1:5432 for the postgres run.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
size_mb=${2:-1024}
exe=$PWD/target/release/upsignon
[ -x "$exe" ] || cargo build --release -p upsignon
work=$(mktemp -d)
pgdbs=()
cleanup() {
  for db in "${pgdbs[@]}"; do psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
vaults=$((size_mb * 16))   # 64 KiB each

. benches/lib/measure.sh

config_for() { # config_for NAME DATABASE_URL
  cat >"$work/$1.toml" <<TOML
database_url = "$2"
state_dir = "$work/$1-state"
backup_dir = "$work/backups"
backup_key_file = "$work/backup.key"
log_level = "warn"
TOML
  echo "$work/$1.toml"
}

"$exe" backup keygen "$work/backup.key" >/dev/null
if [ "$backend" = postgres ]; then
  src_db="upsignon_bench_src_$$"; new_db="upsignon_bench_new_$$"; native_db="upsignon_bench_native_$$"
  pgdbs=("$src_db" "$new_db" "$native_db")
  for db in "${pgdbs[@]}"; do psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"; done
  src=$(config_for src "postgres://postgres@127.0.0.1:5432/$src_db")
  new=$(config_for new "postgres://postgres@127.0.0.1:5432/$new_db")
else
  src=$(config_for src "sqlite://$work/src.db")
  new=$(config_for new "sqlite://$work/new.db")
fi
"$exe" --config "$src" migrate up >/dev/null
"$exe" --config "$new" migrate up >/dev/null

echo "seeding $vaults vaults of 64 KiB ($size_mb MB) on $backend..."
seed_start=$(date +%s)
if [ "$backend" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -d "$src_db" -q <<SQL
INSERT INTO tenants (id, slug, name, settings, stopped, created_at) VALUES ('t1', 'bench', 'Bench', '{}', FALSE, 1763900000000);
INSERT INTO users (id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at)
  SELECT 'user-' || i, 't1', 'user' || i || '@example.com', 'k', 'k', '{}', FALSE, 1763900000000 FROM generate_series(1, $vaults) AS i;
INSERT INTO vaults (user_id, encrypted_data, version, updated_at)
  SELECT 'user-' || i, (SELECT string_agg(md5(random()::text || j || i), '') FROM generate_series(1, 2048) AS j), 1, 1763900000000
  FROM generate_series(1, $vaults) AS i;
SQL
  db_bytes=$(psql -h 127.0.0.1 -U postgres -d "$src_db" -tAc "SELECT pg_database_size(current_database())")
else
  sqlite3 "$work/src.db" <<SQL
PRAGMA journal_mode = WAL;
INSERT INTO tenants (id, slug, name, settings, stopped, created_at) VALUES ('t1', 'bench', 'Bench', '{}', FALSE, 1763900000000);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $vaults)
INSERT INTO users (id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at)
  SELECT 'user-' || i, 't1', 'user' || i || '@example.com', 'k', 'k', '{}', FALSE, 1763900000000 FROM n;
INSERT INTO vaults (user_id, encrypted_data, version, updated_at)
  SELECT id, hex(randomblob(32768)), 1, 1763900000000 FROM users;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
  db_bytes=$(stat -c %s "$work/src.db")
fi
echo "seeded in $(( $(date +%s) - seed_start )) s; database size $((db_bytes / 1000000)) MB"

ours_backup="$work/backups/bench.upsignon-backup"
read -r ours_b_s ours_b_rss < <(measure "$exe" --config "$src" backup --out "$ours_backup")
read -r ours_r_s ours_r_rss < <(measure "$exe" --config "$new" restore "$ours_backup")
if [ "$backend" = postgres ]; then
  native_name="pg_dump -Fc / pg_restore"
  read -r nat_b_s nat_b_rss < <(measure pg_dump -h 127.0.0.1 -U postgres -Fc -f "$work/native.dump" "$src_db")
  read -r nat_r_s nat_r_rss < <(measure pg_restore -h 127.0.0.1 -U postgres -d "$native_db" "$work/native.dump")
  native_file="$work/native.dump"
else
  native_name="sqlite3 .backup / .restore"
  read -r nat_b_s nat_b_rss < <(measure sqlite3 "$work/src.db" ".backup '$work/native.db'")
  read -r nat_r_s nat_r_rss < <(measure sqlite3 "$work/restored-native.db" ".restore '$work/native.db'")
  native_file="$work/native.db"
fi
ours_bytes=$(stat -c %s "$ours_backup")
native_bytes=$(stat -c %s "$native_file")

python3 - "$backend" "$db_bytes" "$native_name" "$ours_b_s" "$ours_b_rss" "$ours_r_s" "$ours_r_rss" \
  "$nat_b_s" "$nat_b_rss" "$nat_r_s" "$nat_r_rss" "$ours_bytes" "$native_bytes" <<'PY'
import sys
(backend, db, native, ob, obr, orr, orrss, nb, nbr, nr, nrr, obytes, nbytes) = sys.argv[1:]
db = int(db) / 1e6
rows = [
    ("backup", "upsignon backup", float(ob), obr, int(obytes)),
    ("backup", native.split(" / ")[0], float(nb), nbr, int(nbytes)),
    ("restore", "upsignon restore", float(orr), orrss, None),
    ("restore", native.split(" / ")[1] if " / " in native else native, float(nr), nrr, None),
]
print(f"\n{backend}: database {db:.0f} MB")
print(f"| step | command | seconds | MB/s (of the database) | peak RSS MB | file MB |")
print(f"|---|---|---|---|---|---|")
for step, cmd, secs, rss, size in rows:
    file_mb = f"{size / 1e6:.0f}" if size else ""
    print(f"| {step} | `{cmd}` | {secs:.2f} | {db / max(secs, 0.001):.1f} | {rss} | {file_mb} |")
print(f"\nratios (ours / native, in time): backup {float(ob) / max(float(nb), 0.001):.2f}, restore {float(orr) / max(float(nr), 0.001):.2f}")
PY

#!/usr/bin/env bash
# How backup, verify and restore grow with rows and with row size, against
# the backend's own tools measured in the same run on the same data:
#   SQLite:     `sqlite3 DB ".backup FILE"`  (backup)
#   PostgreSQL: `pg_dump -Fc` (backup) and `pg_restore` (restore)
#
#   benches/backup_scale.sh rows BACKEND N...     N audit_events rows each (e.g. 1000000 10000000)
#   benches/backup_scale.sh vaults BACKEND KB COUNT    COUNT vaults of KB KiB each; also the
#                                                       peak RSS of `serve` during its restore drill
#
# Prints a Markdown table per run: seconds, peak RSS (MB) of each command, and
# the ratios ours / native. Every database it makes is its own and is dropped
# at the end. Needs target/release/upsignon (built here if missing), python3,
# sqlite3, and for postgres psql, pg_dump and pg_restore with PostgreSQL on
# 127.0.0.1:5432 (user postgres, trust).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: backup_scale.sh rows|vaults BACKEND ...}
backend=${2:?sqlite or postgres}
shift 2
exe=$PWD/target/release/upsignon
[ -x "$exe" ] || cargo build --release --locked -p upsignon
work=$(mktemp -d)
server=
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  # Databases made in subshells too: every name of this run.
  if [ "$backend" = postgres ]; then
    for db in $(psql -h 127.0.0.1 -U postgres -tAc "SELECT datname FROM pg_database WHERE datname LIKE 'upsignon_bench_%_$$'" 2>/dev/null); do
      psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
  fi
  rm -rf "$work"
}
trap cleanup EXIT
"$exe" backup keygen "$work/backup.key" >/dev/null

. benches/lib/measure.sh

# site NAME: a config and an empty, migrated database; sets $url and $cfg.
site() {
  local name=$1
  if [ "$backend" = postgres ]; then
    local db="upsignon_bench_${name}_$$"
    psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db"
    url="postgres://postgres@127.0.0.1:5432/$db"
  else
    url="sqlite://$work/$name.db"
  fi
  cfg="$work/$name.toml"
  cat >"$cfg" <<TOML
database_url = "$url"
state_dir = "$work/$name-state"
backup_dir = "$work/$name-backups"
backup_key_file = "$work/backup.key"
log_level = "warn"
TOML
  "$exe" --config "$cfg" migrate up >/dev/null
}

# sql NAME TEXT: runs SQL on site NAME's database.
sql() {
  if [ "$backend" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -d "upsignon_bench_${1}_$$" -qv ON_ERROR_STOP=1 -c "$2" >/dev/null
  else
    sqlite3 "$work/$1.db" "$2" >/dev/null
  fi
}

seed_rows() { # NAME N
  local n=$2
  sql "$1" "INSERT INTO tenants (id, slug, name, settings, stopped, created_at) VALUES ('t1', 'bench', 'Bench', '{}', FALSE, 1)"
  if [ "$backend" = postgres ]; then
    sql "$1" "INSERT INTO audit_events (id, tenant_id, actor_kind, actor, action, target, ip, details, created_at)
      SELECT 'event-' || i, 't1', 'admin', 'admin' || (i % 50) || '@acme.test', 'device.approved', 'device-' || i,
             '192.0.2.' || (i % 250), '{\"reason\":\"n' || i || '\"}', 1763900000000 + i FROM generate_series(1, $n) AS i"
    sql "$1" "VACUUM ANALYZE"
  else
    sqlite3 "$work/$1.db" "PRAGMA journal_mode = WAL;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $n)
      INSERT INTO audit_events (id, tenant_id, actor_kind, actor, action, target, ip, details, created_at)
      SELECT 'event-' || i, 't1', 'admin', 'admin' || (i % 50) || '@acme.test', 'device.approved', 'device-' || i,
             '192.0.2.' || (i % 250), '{\"reason\":\"n' || i || '\"}', 1763900000000 + i FROM n;
      PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  fi
}

seed_vaults() { # NAME KB COUNT
  local kb=$2 count=$3 hexchars=$(($2 * 1024))
  sql "$1" "INSERT INTO tenants (id, slug, name, settings, stopped, created_at) VALUES ('t1', 'bench', 'Bench', '{}', FALSE, 1)"
  if [ "$backend" = postgres ]; then
    sql "$1" "INSERT INTO users (id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at)
      SELECT 'user-' || i, 't1', 'user' || i || '@acme.test', 'k', 'k', '{}', FALSE, 1 FROM generate_series(1, $count) AS i"
    sql "$1" "INSERT INTO vaults (user_id, encrypted_data, version, updated_at)
      SELECT 'user-' || i, substr((SELECT string_agg(md5(random()::text || j || i), '') FROM generate_series(1, ($hexchars / 32) + 1) AS j), 1, $hexchars), 1, 1
      FROM generate_series(1, $count) AS i"
  else
    sqlite3 "$work/$1.db" "PRAGMA journal_mode = WAL;
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
      INSERT INTO users (id, tenant_id, email, sharing_public_key, signing_public_key, settings_override, deactivated, created_at)
      SELECT 'user-' || i, 't1', 'user' || i || '@acme.test', 'k', 'k', '{}', FALSE, 1 FROM n;
      INSERT INTO vaults (user_id, encrypted_data, version, updated_at)
      SELECT id, hex(randomblob($hexchars / 2)), 1, 1 FROM users;
      PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
  fi
}

db_mb() { # NAME
  if [ "$backend" = postgres ]; then
    psql -h 127.0.0.1 -U postgres -d "upsignon_bench_${1}_$$" -tAc "SELECT pg_database_size(current_database()) / 1000000"
  else
    echo $(($(stat -c %s "$work/$1.db") / 1000000))
  fi
}

native_backup() { # NAME -> "SECONDS RSS"
  if [ "$backend" = postgres ]; then
    measure pg_dump -h 127.0.0.1 -U postgres -Fc -f "$work/$1.dump" "upsignon_bench_${1}_$$"
  else
    measure sqlite3 "$work/$1.db" ".backup '$work/$1.native.db'"
  fi
}

native_restore() { # NAME -> "SECONDS RSS" (PostgreSQL only)
  site "${1}n"
  psql -h 127.0.0.1 -U postgres -d "upsignon_bench_${1}n_$$" -qc "DROP SCHEMA public CASCADE; CREATE SCHEMA public;" >/dev/null 2>&1
  measure pg_restore -h 127.0.0.1 -U postgres --no-owner --single-transaction -d "upsignon_bench_${1}n_$$" "$work/$1.dump"
}

# run_one NAME: backup, verify and restore of site NAME, then the native tools.
run_one() {
  local name=$1 file="$work/$1.upsignon-backup"
  read -r b_s b_rss < <(measure "$exe" --config "$cfg" backup --out "$file")
  read -r v_s v_rss < <(measure "$exe" --config "$cfg" backup verify "$file")
  site "${name}r"
  read -r r_s r_rss < <(measure "$exe" --config "$cfg" restore "$file")
  read -r nb_s nb_rss < <(native_backup "$name")
  if [ "$backend" = postgres ]; then
    read -r nr_s nr_rss < <(native_restore "$name")
  else
    nr_s=-; nr_rss=-
  fi
  echo "$b_s $b_rss $v_s $v_rss $r_s $r_rss $nb_s $nb_rss $nr_s $nr_rss $(($(stat -c %s "$file") / 1000000))"
}

table_header() {
  echo "| $1 | db MB | backup s | native backup s | backup / native | verify s | restore s | native restore s | restore / native | file MB | peak RSS MB: backup / verify / restore |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
}

ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print('-' if b == '-' else f'{float(a) / max(float(b), 0.001):.2f}')" "$1" "$2"; }

if [ "$mode" = rows ]; then
  echo "## $backend: audit_events rows"
  echo
  table_header rows
  first=; first_s=; growth=
  for n in "$@"; do
    site "rows$n"
    seed_rows "rows$n" "$n"
    mb=$(db_mb "rows$n")
    cfg="$work/rows$n.toml"
    read -r b_s b_rss v_s v_rss r_s r_rss nb_s nb_rss nr_s nr_rss file_mb < <(run_one "rows$n")
    echo "| $n | $mb | $b_s | $nb_s | $(ratio "$b_s" "$nb_s") | $v_s | $r_s | $nr_s | $(ratio "$r_s" "$nr_s") | $file_mb | $b_rss / $v_rss / $r_rss |"
    if [ -z "$first" ]; then first=$n; first_s=$b_s; else
      growth="$growth backup time ${n} rows / ${first} rows: $(ratio "$b_s" "$first_s") (rows x$((n / first)));"
    fi
  done
  echo
  [ -n "${growth:-}" ] && echo "growth:$growth"
elif [ "$mode" = vaults ]; then
  kb=${1:?KB}; count=${2:?COUNT}
  echo "## $backend: $count vaults of $kb KiB"
  echo
  table_header "vaults"
  site vaults
  seed_vaults vaults "$kb" "$count"
  mb=$(db_mb vaults)
  cfg="$work/vaults.toml"
  read -r b_s b_rss v_s v_rss r_s r_rss nb_s nb_rss nr_s nr_rss file_mb < <(run_one vaults)
  echo "| $count x $kb KiB | $mb | $b_s | $nb_s | $(ratio "$b_s" "$nb_s") | $v_s | $r_s | $nr_s | $(ratio "$r_s" "$nr_s") | $file_mb | $b_rss / $v_rss / $r_rss |"
  # serve: a scheduled backup then its restore drill, peak RSS from /proc.
  cfg="$work/vaults.toml"
  cat >>"$cfg" <<TOML
listen = "127.0.0.1:0"
tls_mode = "none"
backup_interval_secs = 1
backup_verify_interval_secs = 3600
TOML
  rm -f "$work/vaults-state/backup-drill.json"
  "$exe" --config "$cfg" serve >"$work/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 1 1200); do
    [ -f "$work/vaults-state/backup-drill.json" ] && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.log"; exit 1; }
    sleep 0.5
  done
  hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$server/status")
  kill "$server"; wait "$server" 2>/dev/null || true; server=
  echo
  echo "serve, during a scheduled backup and its restore drill: peak RSS $hwm MB ($(cat "$work/vaults-state/backup-drill.json" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("drill ok" if d["ok"] else "drill FAILED: " + d["detail"])'))"
else
  echo "usage: backup_scale.sh rows|vaults BACKEND ..." >&2
  exit 2
fi

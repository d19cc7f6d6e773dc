# Shared by the fault scripts (sourced, not run). Each script gets its own
# temporary directory ($work), its own server (one at a time, $srv_pid), its
# own databases (dropped on exit) and a copy of the binary, so a rebuild of
# target/debug/upsignon during a run changes nothing.
#
# The caller sets `name` (the script's name) before sourcing, and may append
# to `cleanups` (commands run on exit, last first).

set -uo pipefail
faults_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(cd "$faults_dir/../.." && pwd)
cd "$root" || exit 1

bin_src=${UPSIGNON_BIN:-target/debug/upsignon}
case $bin_src in /*) ;; *) bin_src=$root/$bin_src ;; esac

work=$(mktemp -d "${TMPDIR:-/tmp}/upsignon-fault-$name.XXXXXX")
srv_pid=""       # the server this script runs (one at a time)
pg_dbs=()        # databases created on the shared cluster (127.0.0.1:5432)
cleanups=()      # more commands to run on exit, last first
kept_work=0

alive() { # PID: running and not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
# nap SECONDS: a sleep that a trapped signal (Ctrl-C, timeout) interrupts at once.
nap() { sleep "$1" & wait $!; }
log() { printf '[%s %s] %s\n' "$name" "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# stop_server [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 15).
stop_server() {
  [ -n "$srv_pid" ] || return 0
  local i limit=$((${1:-15} * 20))
  kill -TERM "$srv_pid" 2>/dev/null
  for ((i = 0; i < limit; i++)); do alive "$srv_pid" || break; sleep 0.05; done
  alive "$srv_pid" && { log "server $srv_pid did not stop after SIGTERM: SIGKILL"; kill -KILL "$srv_pid" 2>/dev/null; }
  wait "$srv_pid" 2>/dev/null
  srv_pid=""
}

psql_shared() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"; }
shared_pg_up() { command -v psql >/dev/null && psql_shared 'SELECT 1' >/dev/null 2>&1; }
# create_shared_db NAME: a database of this run on the shared cluster.
create_shared_db() { psql_shared "CREATE DATABASE $1" >/dev/null && pg_dbs+=("$1"); }

faults_cleanup() {
  local rc=$? i db
  trap - EXIT INT TERM
  stop_server 5
  for ((i = ${#cleanups[@]} - 1; i >= 0; i--)); do eval "${cleanups[$i]}" >/dev/null 2>&1 || true; done
  for db in "${pg_dbs[@]}"; do psql_shared "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1; done
  if [ "${FAULTS_KEEP:-0}" = 1 ]; then
    log "kept $work (FAULTS_KEEP=1)"
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap faults_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() {
  local tool
  for tool in "$@"; do command -v "$tool" >/dev/null || die "needs $tool"; done
}
need python3 node curl

[ -x "$bin_src" ] || die "no server binary at $bin_src (set UPSIGNON_BIN, or build target/debug/upsignon)"
cp "$bin_src" "$work/upsignon" || die "cannot copy $bin_src"
exe=$work/upsignon

# write_config FILE DATABASE_URL STATE_DIR PORT [MORE_TOML_LINES]: a config for
# loopback, warn-level logs, no scheduled backups, rate limits off (when the
# binary knows them: older builds refuse unknown keys).
write_config() {
  cat >"$1" <<TOML
database_url = "$2"
state_dir = "$3"
listen = "127.0.0.1:$4"
log_level = "warn"
log_format = "human"
backup_interval_secs = 0
${5:-}
TOML
  if [ -z "${rate_limit_keys:-}" ]; then
    printf 'rate_limit_ip_per_minute = 0\nrate_limit_account_per_minute = 0\n' >"$work/probe.toml"
    if "$exe" --config "$work/probe.toml" config show >/dev/null 2>&1; then rate_limit_keys=yes; else rate_limit_keys=no; fi
    [ "$rate_limit_keys" = yes ] || log "this binary does not know rate_limit_*_per_minute: left out of the config"
  fi
  if [ "$rate_limit_keys" = yes ]; then
    printf 'rate_limit_ip_per_minute = 0\nrate_limit_account_per_minute = 0\n' >>"$1"
  fi
}

# wait_ready URL SECONDS [LOG]: until /health/ready answers 200; fails early
# when the server process is gone or LOG shows a panic.
wait_ready() {
  local deadline=$(($(now_ms) + $2 * 1000))
  until [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$1/health/ready")" = 200 ]; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    [ -z "$srv_pid" ] || alive "$srv_pid" || return 1
    [ -z "${3:-}" ] || ! grep -q 'panicked at' "$3" || return 1
    sleep 0.05
  done
}

# start_server CONFIG URL LOG: `upsignon serve` in the background until ready
# (30 s at most); sets srv_pid. On failure, shows the panic or the log's end.
start_server() {
  "$exe" --config "$1" serve >>"$3" 2>&1 &
  srv_pid=$!
  if ! wait_ready "$2" 30 "$3"; then
    if grep -q 'panicked at' "$3"; then
      log "the server panicked; from $3:"
      grep -A1 'panicked at' "$3" | head -n 4 >&2
      grep -E '^ +at \./crates/' "$3" | head -n 5 >&2
    else
      log "server did not become ready; end of $3:"
      tail -n 20 "$3" >&2
    fi
    return 1
  fi
}

# prepare_db BACKEND DIR [PG_PORT]: a migrated, seeded database in DIR for
# USERS users (global `users`); sets db_url, db_name (PostgreSQL) and writes
# DIR/tokens. On the shared cluster (port 5432) the database is dropped on
# exit; on another port the caller owns the cluster.
prepare_db() {
  local backend=$1 dir=$2 port=${3:-5432}
  mkdir -p "$dir"
  if [ "$backend" = postgres ]; then
    db_name=upsignon_fault_$$_${name}
    if [ "$port" = 5432 ]; then
      create_shared_db "$db_name" || return 1
    else
      psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $db_name" >/dev/null || return 1
    fi
    db_url=postgres://postgres@127.0.0.1:$port/$db_name
  else
    db_name=""
    db_url=sqlite://$dir/upsignon.db
  fi
  write_config "$dir/migrate.toml" "$db_url" "$dir/state" "$(free_port)"
  "$exe" --config "$dir/migrate.toml" migrate up >>"$dir/server.log" 2>&1 || { tail -n 20 "$dir/server.log" >&2; return 1; }
  if [ "$backend" = postgres ]; then
    python3 benches/lib/seed.py --postgres "$db_name" --pg-port "$port" --users "$users" --tokens "$dir/tokens"
  else
    python3 benches/lib/seed.py --sqlite "$dir/upsignon.db" --users "$users" --tokens "$dir/tokens"
  fi
}

# summary TITLE: prints the block from stdin between rules, for the log and CI.
summary() {
  printf '\n===== %s =====\n' "$1"
  cat
  printf '=====\n'
}

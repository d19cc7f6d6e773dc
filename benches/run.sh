#!/usr/bin/env bash
# The project's benchmark table in one command. Builds what the benches need,
# runs every part with its baseline measured in the same run on the same
# machine, prints a Markdown table and writes it, with the machine, the
# commit and the raw output of each part, to benches/results/DATE-summary.md.
#
#   benches/run.sh                 1,000 and 10,000 users, 256 MB backups, 10 s windows
#   benches/run.sh --quick         small sizes and short windows (to try the harness)
#   benches/run.sh --only install,load     some parts only
#   benches/run.sh --build-only    build what the parts need, measure nothing
#
# Parts: install (unattended install vs plain serve), load (vault sync on a
# seeded database through a real `upsignon serve`: throughput, latency, CPU,
# RSS, start to ready; pgbench on PostgreSQL), vault_sync (the in-process
# cargo bench), rollback (benches/rollback.sh), backup (benches/backup.sh).
# Needs cargo, python3, curl, sqlite3, node (load), and for PostgreSQL psql,
# pg_dump, pg_restore and pgbench with PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust); PostgreSQL figures are skipped when it does not answer.
# Every database it creates is its own and is dropped at the end.
# See benches/README.md for what each figure means and how long it takes.

set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
exe=$root/target/release/upsignon
all_parts="install load vault_sync rollback backup"

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }
mode=full
parts=$all_parts
build_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) mode=quick ;;
    --build-only) build_only=1 ;;
    --only) [ $# -ge 2 ] || { usage >&2; exit 2; }; parts=${2//,/ }; shift ;;
    --only=*) parts=${1#--only=}; parts=${parts//,/ } ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
for p in $parts; do
  case " $all_parts " in *" $p "*) ;; *) echo "unknown part: $p (parts: $all_parts)" >&2; exit 2 ;; esac
done
wants() { case " $parts " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if [ "$mode" = quick ]; then
  users_list=(200)      # load and rollback
  backup_mb=32
  warmup=1 load_secs=3 live_secs=2 pgbench_secs=3 bench_secs=2
else
  users_list=(1000 10000)
  backup_mb=256         # backup.sh's default is 1024: 256 keeps the whole run under 15 minutes
  warmup=2 load_secs=10 live_secs=5 pgbench_secs=10 bench_secs=5
fi
clients=8               # as the vault_sync bench

for tool in cargo python3 curl sqlite3; do
  command -v "$tool" >/dev/null || { echo "benches/run.sh needs $tool" >&2; exit 1; }
done
pg=0
if command -v psql >/dev/null && psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1; then
  pg=1
fi
backends=(sqlite)
[ "$pg" = 1 ] && backends+=(postgres)

work=$(mktemp -d "${TMPDIR:-/tmp}/upsignon-bench.XXXXXX")
rows=$work/rows.tsv
raw=$work/raw
mkdir -p "$raw"
: >"$rows"
live_pid=   # the one server this script runs at a time
pg_dbs=()   # databases this script created

alive() { # PID: running and not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
stop_server() {
  [ -n "$live_pid" ] || return 0
  kill -TERM "$live_pid" 2>/dev/null
  for _ in $(seq 1 200); do alive "$live_pid" || break; sleep 0.05; done
  alive "$live_pid" && kill -KILL "$live_pid" 2>/dev/null
  wait "$live_pid" 2>/dev/null
  live_pid=
}
psql_q() { psql -h 127.0.0.1 -U postgres -d postgres -qtAc "$1"; }
create_db() { psql_q "CREATE DATABASE $1" >/dev/null && pg_dbs+=("$1"); }
drop_db() { psql_q "DROP DATABASE IF EXISTS $1 WITH (FORCE)" >/dev/null; }
cleanup() {
  stop_server
  for db in "${pg_dbs[@]}"; do drop_db "$db"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
commas() { python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$1"; }
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null; }
# row SECTION FIGURE BACKEND SIZE OURS UNIT BASELINE_NAME BASELINE GOAL [NOTE]
row() {
  local fields=() f
  for f in "$@"; do f=${f//$'\t'/ }; fields+=("${f//$'\n'/ }"); done
  local IFS=$'\t'
  printf '%s\n' "${fields[*]}" >>"$rows"
}
# jget FILE KEY DECIMALS: a number from a one-line JSON file, or $jfail.
jfail=failed
jget() {
  python3 - "$@" <<'PY' 2>/dev/null || echo "$jfail"
import json, sys
value = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])[sys.argv[2]]
print("failed" if value is None else f"{float(value):.{int(sys.argv[3])}f}")
PY
}

# wait_ready URL SECONDS: polls /health/ready every 10 ms until it answers 200.
wait_ready() {
  local deadline=$(($(now_ms) + $2 * 1000))
  until [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$1/health/ready")" = 200 ]; do
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    [ -z "$live_pid" ] || alive "$live_pid" || return 1
    sleep 0.01
  done
}
# start_server CONFIG URL LOG: `upsignon serve` in the background; sets
# live_pid and ready_ms (process start to /health/ready answering 200).
start_server() {
  local start
  start=$(now_ms)
  "$exe" --config "$1" serve >>"$3" 2>&1 &
  live_pid=$!
  if wait_ready "$2" 60; then
    ready_ms=$(($(now_ms) - start))
  else
    ready_ms=failed
    echo "server did not become ready; end of $3:" >&2
    tail -n 20 "$3" >&2
  fi
}
# write_config FILE DATABASE_URL STATE_DIR PORT
write_config() {
  cat >"$1" <<TOML
database_url = "$2"
state_dir = "$3"
listen = "127.0.0.1:$4"
log_level = "warn"
backup_interval_secs = 0
TOML
}

part_started=0
begin_part() { part_started=$(now_ms); printf '\n== %s\n' "$1"; }
durations=()
end_part() { durations+=("$1 $((($(now_ms) - part_started) / 1000)) s"); }

# --------------------------------------------------------------------- build
run_started=$(now_ms)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
if awk -v l="${load_at_start%% *}" 'BEGIN { exit !(l > 0.5) }'; then
  echo "warning: load average $load_at_start: something else is running, figures will be low" >&2
fi
printf '== build\n'
cargo build --locked --release -p upsignon || exit 1
if wants rollback; then
  # benches/rollback.sh measures debug builds A (this commit) and B (a newer
  # release with two more migrations), as cargo test -p upsignon --test upgrade_rollback builds them.
  cargo build --locked -p upsignon -p upsignon-release || exit 1
  CARGO_TARGET_DIR=target/newer-release UPSIGNON_VERSION_OVERRIDE=0.2.0-test \
    UPSIGNON_EXTRA_MIGRATIONS="$root/crates/upsignon-testkit/migrations-newer" \
    cargo build --locked -p upsignon || exit 1
fi
if wants vault_sync; then
  cargo bench --locked -p upsignon-api --bench vault_sync --no-run || exit 1
fi
build_s=$((($(now_ms) - run_started) / 1000))
if [ "$build_only" = 1 ]; then
  echo "built in $build_s s"
  exit 0
fi
measure_started=$(now_ms)

# Footprint of the binary itself, and the floor of a process: `upsignon
# --version` (exec, load, exit), median wall time and max RSS of 5 runs.
binary_mb=$(awk -v b="$(stat -c %s "$exe")" 'BEGIN { printf "%.1f", b / 1e6 }')
row "4 footprint" "binary size (release, stripped)" "" "" "$binary_mb" MB "" "" lower \
  "No same-run baseline for the binary size: compare with earlier summaries."
read -r bare_ms bare_rss < <(python3 - "$exe" <<'PY'
import resource, statistics, subprocess, sys, time
times = []
for _ in range(5):
    start = time.monotonic()
    subprocess.run([sys.argv[1], "--version"], check=True, stdout=subprocess.DEVNULL)
    times.append((time.monotonic() - start) * 1000)
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{statistics.median(times):.1f} {rss:.1f}")
PY
)

# ------------------------------------------------------------------- install
part_install() {
  local backend dir port url db_args serve_ms install_ms rc note
  for backend in "${backends[@]}"; do
    dir=$work/install-$backend
    mkdir -p "$dir"
    db_args=()
    if [ "$backend" = postgres ]; then
      create_db "upsignon_bench_$$_serve" && create_db "upsignon_bench_$$_install" || { row "5 install" "\`upsignon install --non-interactive\` to healthy server" "$backend" "new" failed ms "" "" lower "CREATE DATABASE failed"; continue; }
      url=postgres://postgres@127.0.0.1:5432/upsignon_bench_$$_serve
      db_args=(--database-url "postgres://postgres@127.0.0.1:5432/upsignon_bench_$$_install")
    else
      url=sqlite://$dir/serve-state/upsignon.db
    fi
    # Baseline: plain `serve` on an empty state directory (new database,
    # migrations, certificate), process start to ready.
    port=$(free_port)
    write_config "$dir/serve.toml" "$url" "$dir/serve-state" "$port"
    start_server "$dir/serve.toml" "https://127.0.0.1:$port" "$dir/serve.log"
    serve_ms=$ready_ms
    stop_server
    # Ours: the unattended install, command start to exit (it exits 0 only
    # once /health/ready answers; it polls every 100 ms).
    port=$(free_port)
    local start
    start=$(now_ms)
    "$exe" install --prefix "$dir/root" --listen "127.0.0.1:$port" --non-interactive \
      --admin-email admin@bench.test "${db_args[@]}" >"$dir/install.log" 2>&1
    rc=$?
    install_ms=$(($(now_ms) - start))
    live_pid=$(cat "$dir/root/var/lib/upsignon/upsignon.pid" 2>/dev/null)
    note=""
    if [ "$rc" != 0 ] || [ "$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/health/ready")" != 200 ]; then
      note="install exited $rc or the server was not ready: $(tail -n 3 "$dir/install.log" | tr '\t\n' '  ')"
      install_ms=failed
    fi
    stop_server
    {
      echo "install ($backend): $install_ms ms (exit $rc); plain serve on a new database: $serve_ms ms"
      sed 's/^/    /' "$dir/install.log" | grep -v -i 'code' # the one-time sign-in code is not kept
    } >>"$raw/install.log"
    row "5 install" "\`upsignon install --non-interactive\` to healthy server" "$backend" "new" "$install_ms" ms \
      "\`serve\` start to ready, new database" "$serve_ms" lower "$note"
  done
}

# ---------------------------------------------------------------------- load
# pgbench_vault_sync DB DIR: the store's statements for get + update, same data.
pgbench_vault_sync() {
  local db=$1 dir=$2 users rc tps lat
  psql -h 127.0.0.1 -U postgres -d "$db" -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || return 1
CREATE TABLE bench_keys AS
  SELECT (row_number() OVER (ORDER BY token_hash))::int AS n, token_hash FROM device_sessions;
ALTER TABLE bench_keys ADD PRIMARY KEY (n);
ANALYZE bench_keys;
SQL
  users=$(psql -h 127.0.0.1 -U postgres -d "$db" -qtAc "SELECT count(*) FROM bench_keys")
  (cd "$dir" && timeout --foreground $((pgbench_secs + 60)) pgbench -h 127.0.0.1 -U postgres -n -M prepared \
    -c "$clients" -j 2 -T "$pgbench_secs" -D users="$users" -r -l --log-prefix=pgbench \
    -f "$root/benches/lib/vault_sync.pgbench.sql" "$db") >"$dir/pgbench.out" 2>&1
  rc=$?
  tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$dir/pgbench.out" | tail -n 1)
  lat=$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$dir/pgbench.out" | tail -n 1)
  [ "$rc" = 0 ] && [ -n "$tps" ] && [ -n "$lat" ] || return 1
  # One pgbench transaction is one get and one update: two requests.
  pgbench_rps=$(awk -v t="$tps" 'BEGIN { printf "%.0f", 2 * t }')
  pgbench_mean=$(awk -v l="$lat" 'BEGIN { printf "%.2f", l / 2 }')
  pgbench_pair=$(python3 - "$dir" <<'PY'
import glob, sys
lat = sorted(int(line.split()[2]) / 1000 for f in glob.glob(sys.argv[1] + "/pgbench.*") if not f.endswith(".out")
             for line in open(f))
print(f"p50 {lat[len(lat) // 2]:.2f} ms, p99 {lat[min(len(lat) - 1, int(0.99 * len(lat)))]:.2f} ms" if lat else "no log")
PY
)
}

part_load() {
  local backend users dir port db url size json_v json_l rc db_mb label note cpu_label cpu_note
  local have_node=1 clk
  command -v node >/dev/null || { have_node=0; jfail="skipped: node missing"; }
  clk=$(getconf CLK_TCK)
  for backend in "${backends[@]}"; do
    for users in "${users_list[@]}"; do
      dir=$work/load-$backend-$users
      mkdir -p "$dir"
      port=$(free_port)
      if [ "$backend" = postgres ]; then
        db=upsignon_bench_$$_load_$users
        create_db "$db" || { row "1 sync" "get+update throughput, $clients clients" "$backend" "$(commas "$users") users" failed req/s "" "" higher "CREATE DATABASE $db failed"; continue; }
        url=postgres://postgres@127.0.0.1:5432/$db
      else
        db=""
        url=sqlite://$dir/upsignon.db
      fi
      write_config "$dir/upsignon.toml" "$url" "$dir/state" "$port"
      echo "$backend, $(commas "$users") users: migrate, seed, serve, load"
      "$exe" --config "$dir/upsignon.toml" migrate up >>"$dir/server.log" 2>&1 &&
        if [ "$backend" = postgres ]; then
          python3 benches/lib/seed.py --postgres "$db" --users "$users" --tokens "$dir/tokens"
        else
          python3 benches/lib/seed.py --sqlite "$dir/upsignon.db" --users "$users" --tokens "$dir/tokens"
        fi
      rc=$?
      if [ "$backend" = postgres ]; then
        db_mb=$(psql -h 127.0.0.1 -U postgres -d "$db" -qtAc "SELECT pg_database_size(current_database()) / 1000000")
      else
        db_mb=$(($(stat -c %s "$dir/upsignon.db" 2>/dev/null || echo 0) / 1000000))
      fi
      size="$(commas "$users") users, ${db_mb} MB"
      label="\`/health/live\` on the same server, same client"
      if [ "$rc" != 0 ]; then
        row "1 sync" "get+update throughput, $clients clients" "$backend" "$size" failed req/s "$label" "" higher "migrate or seed failed"
        continue
      fi
      # First start makes the TLS certificate; the figure is the next start.
      start_server "$dir/upsignon.toml" "https://127.0.0.1:$port" "$dir/server.log"
      stop_server
      start_server "$dir/upsignon.toml" "https://127.0.0.1:$port" "$dir/server.log"
      local start_ms=$ready_ms idle_mb
      sleep 1
      idle_mb=$(rss_mb "$live_pid")
      json_v=$dir/vault.json json_l=$dir/live.json
      local common=(--url "https://127.0.0.1:$port" --ca "$dir/state/tls/cert.pem" --pid "$live_pid"
        --clients "$clients" --clk-tck "$clk")
      [ -n "$db" ] && common+=(--pg-db "$db")
      : >"$json_v"
      : >"$json_l"
      if [ "$have_node" = 1 ]; then
        timeout --foreground $((warmup + load_secs + 60)) node benches/lib/load.mjs "${common[@]}" --mode vault \
          --tokens "$dir/tokens" --warmup "$warmup" --seconds "$load_secs" >"$json_v" 2>>"$dir/server.log"
        timeout --foreground $((1 + live_secs + 60)) node benches/lib/load.mjs "${common[@]}" --mode live \
          --warmup 1 --seconds "$live_secs" >"$json_l" 2>>"$dir/server.log"
      fi
      stop_server
      {
        echo "$backend, $size: start to ready $start_ms ms, idle RSS $idle_mb MB"
        echo "  vault: $(cat "$json_v")"
        echo "  live:  $(cat "$json_l")"
      } >>"$raw/load.log"
      note=$(python3 - "$json_v" "$backend, $size" <<'PY' 2>/dev/null
import json, sys
r = json.loads(open(sys.argv[1]).read())
if r["errors"]:
    print(f"{r['errors']} failed requests under load ({sys.argv[2]}), the first: {r['first_error']}")
PY
)
      cpu_label="CPU per request (server)" cpu_note=""
      if [ -n "$db" ]; then
        cpu_label="CPU per request (server + its PostgreSQL backends)"
        [ "$(jget "$json_v" pg_backends 0)" != 0 ] ||
          cpu_note="PostgreSQL backends not found in /proc ($size): the CPU figure is the server's alone."
      fi
      row "1 sync" "get+update throughput, $clients clients" "$backend" "$size" "$(jget "$json_v" rps 0)" req/s "$label" "$(jget "$json_l" rps 0)" higher "$note"
      row "1 sync" "latency p50" "$backend" "$size" "$(jget "$json_v" p50_ms 2)" ms "$label" "$(jget "$json_l" p50_ms 2)" lower
      row "1 sync" "latency p99" "$backend" "$size" "$(jget "$json_v" p99_ms 2)" ms "$label" "$(jget "$json_l" p99_ms 2)" lower
      row "1 sync" "$cpu_label" "$backend" "$size" "$(jget "$json_v" cpu_ms_per_req 3)" ms "$label" "$(jget "$json_l" cpu_ms_per_req 3)" lower "$cpu_note"
      row "4 footprint" "time from process start to ready" "$backend" "$size" "$start_ms" ms "\`upsignon --version\` (process floor)" "$bare_ms" lower
      row "4 footprint" "idle RSS" "$backend" "$size" "${idle_mb:-failed}" MB "\`upsignon --version\` max RSS" "$bare_rss" lower
      row "4 footprint" "RSS under load (max, $clients clients)" "$backend" "$size" "$(jget "$json_v" rss_max_mb 1)" MB "idle RSS of the same process" "${idle_mb:-}" lower
      if [ -n "$db" ]; then
        if ! command -v pgbench >/dev/null; then
          row "1 sync" "get+update throughput vs PostgreSQL alone" "$backend" "$size" "$(jget "$json_v" rps 0)" req/s "pgbench: skipped (not installed)" "" higher
        elif pgbench_vault_sync "$db" "$dir"; then
          {
            echo "  pgbench ($size): $pgbench_rps requests/s, mean $pgbench_mean ms per request; per get+update pair $pgbench_pair"
            sed 's/^/    /' "$dir/pgbench.out"
          } >>"$raw/load.log"
          row "1 sync" "get+update throughput vs PostgreSQL alone" "$backend" "$size" "$(jget "$json_v" rps 0)" req/s "\`pgbench\`, the same statements" "$pgbench_rps" higher
          row "1 sync" "mean latency per request vs PostgreSQL alone" "$backend" "$size" "$(jget "$json_v" mean_ms 2)" ms "\`pgbench\`, the same statements" "$pgbench_mean" lower
        else
          sed 's/^/    /' "$dir/pgbench.out" >>"$raw/load.log" 2>/dev/null
          row "1 sync" "get+update throughput vs PostgreSQL alone" "$backend" "$size" "$(jget "$json_v" rps 0)" req/s "\`pgbench\`, the same statements" failed higher "pgbench failed: see its output in the raw log"
        fi
        drop_db "$db"
      fi
    done
  done
}

# ---------------------------------------------------------------- vault_sync
part_vault_sync() {
  local log=$raw/vault_sync.log
  timeout --foreground 900 cargo bench --locked -q -p upsignon-api --bench vault_sync -- "$bench_secs" >"$log" 2>"$work/vault_sync.err"
  local rc=$?
  [ "$rc" = 0 ] || { echo "(exit $rc)"; tail -n 20 "$work/vault_sync.err"; } >>"$log"
  cat "$log"
  python3 - "$log" "$clients" "$pg" <<'PY' >>"$rows"
import re, sys
text = open(sys.argv[1]).read()
many = sys.argv[2]
base = re.search(r"^baseline: .*?: ([\d.]+) req/s \(1 client\), ([\d.]+) req/s \((\d+) clients\)", text, re.M)
label = "bare actix-web handler, same TLS and client"
for backend, name in (("Sqlite", "sqlite"), ("Postgres", "postgres")):
    if name == "postgres" and sys.argv[3] != "1":
        continue
    ours = re.search(rf"^{backend}: vault get\+update: ([\d.]+) req/s \(1 client.*?\), ([\d.]+) req/s \((\d+) clients", text, re.M)
    for i, clients in ((1, "1 client"), (2, f"{base.group(3) if base else many} clients")):
        value = ours.group(i) if ours else "failed"
        baseline = base.group(i) if base else "failed"
        print("\t".join(["1 sync", f"get+update throughput, {clients} (in-process cargo bench)", name,
                         "8 users", value, "req/s", label, baseline, "higher", ""]))
PY
}

# ------------------------------------------------------------------ rollback
part_rollback() {
  local backend users log restart rollback
  for backend in "${backends[@]}"; do
    for users in "${users_list[@]}"; do
      log=$work/rollback-$backend-$users.log
      echo "benches/rollback.sh $backend $users"
      timeout --foreground 600 bash benches/rollback.sh "$backend" "$users" >"$log" 2>&1
      { echo "\$ benches/rollback.sh $backend $users (exit $?)"; cat "$log"; echo; } >>"$raw/rollback.log"
      restart=$(sed -n 's/^restart (baseline): *\([0-9]*\) ms.*/\1/p' "$log")
      rollback=$(sed -n 's/^rollback --yes: *\([0-9]*\) ms.*/\1/p' "$log")
      row "2 rollback" "\`upsignon rollback --yes\` to old version ready (debug builds)" "$backend" "$(commas "$users") users" \
        "${rollback:-failed}" ms "restart of the same server" "${restart:-failed}" lower
    done
  done
}

# -------------------------------------------------------------------- backup
part_backup() {
  local backend log
  for backend in "${backends[@]}"; do
    log=$work/backup-$backend.log
    echo "benches/backup.sh $backend $backup_mb"
    timeout --foreground 900 bash benches/backup.sh "$backend" "$backup_mb" >"$log" 2>&1
    { echo "\$ benches/backup.sh $backend $backup_mb (exit $?)"; cat "$log"; echo; } >>"$raw/backup.log"
    python3 - "$log" "$backend" <<'PY' >>"$rows"
import re, sys
text = open(sys.argv[1]).read()
backend = sys.argv[2]
db = re.search(r"^\w+: database (\d+) MB", text, re.M)
size = f"{db.group(1)} MB database" if db else ""
table = [line.split("|")[1:-1] for line in text.splitlines() if re.match(r"^\| (backup|restore) \|", line)]
cells = {}
for step, command, secs, mbps, rss, _file in ([c.strip() for c in r] for r in table):
    ours = command.startswith("`upsignon")
    cells[(step, ours)] = (command.strip("`"), mbps, rss)
for step in ("backup", "restore"):
    o, n = cells.get((step, True)), cells.get((step, False))
    native = n[0] if n else "native tool"
    if native.startswith("."):
        native = "sqlite3 " + native
    for figure, i, unit, goal in ((f"{step} throughput", 1, "MB/s", "higher"), (f"{step} peak RSS", 2, "MB", "lower")):
        print("\t".join(["3 backup", f"`upsignon {step}` {figure.split(' ', 1)[1]}", backend, size,
                         o[i] if o else "failed", unit, f"`{native}`", n[i] if n else "failed", goal, ""]))
PY
  done
}

# --------------------------------------------------------------------- parts
for part in $all_parts; do
  wants "$part" || continue
  begin_part "$part"
  "part_$part"
  end_part "$part"
done
stop_server

# ------------------------------------------------------------------- summary
measure_s=$((($(now_ms) - measure_started) / 1000))
total_s=$((($(now_ms) - run_started) / 1000))
date=$(date +%F)
suffix=""
[ "$mode" = quick ] && suffix="-quick"
out=benches/results/$date-summary$suffix.md
commit=$(git rev-parse --short HEAD)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit (with uncommitted changes)"
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
ram=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
os=$( (. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}") || true)
versions="SQLite $(sqlite3 --version | cut -d' ' -f1)"
[ "$pg" = 1 ] && versions="$versions, PostgreSQL $(psql_q 'SHOW server_version' | cut -d' ' -f1) on 127.0.0.1"
command -v node >/dev/null && versions="$versions, node $(node --version)"
command -v pgbench >/dev/null && versions="$versions, $(pgbench --version)"
if [ "$mode" = quick ]; then sizes="quick: $(commas "${users_list[0]}") users"; else sizes="1,000 and 10,000 users"; fi
sizes="$sizes (load, rollback), backups of $backup_mb MB, $clients clients, load windows of $load_secs s after $warmup s of warm-up, pgbench $pgbench_secs s, cargo bench $bench_secs s per figure"
table=$(python3 benches/lib/table.py "$rows") ||
  table=$(printf 'benches/lib/table.py failed; the rows as measured (tab-separated):\n\n```\n%s\n```' "$(cat "$rows")")

mkdir -p benches/results
{
  echo "# Benchmarks, $date"
  echo
  echo "\`benches/run.sh$([ "$mode" = quick ] && echo ' --quick')$([ "$parts" != "$all_parts" ] && echo " --only ${parts// /,}")\` at commit $commit."
  echo
  echo "- Machine: $(nproc) CPUs ($cpu), $ram RAM, Linux $(uname -r)${os:+, $os}; $versions."
  echo "- Load average at start: $load_at_start (1, 5, 15 min)."
  echo "- Sizes: $sizes."
  echo "- Time: build $build_s s, measurements $measure_s s ($(IFS=,; echo "${durations[*]}" | sed 's/,/, /g')), total $total_s s."
  [ "$pg" = 1 ] || echo "- PostgreSQL did not answer on 127.0.0.1:5432: its figures are missing."
  echo
  echo "$table"
  echo
  echo "Ratio = ours / baseline, both measured in this run on this machine; \"better\" says which way is good."
  echo "Client and server share the machine's $(nproc) CPUs in every load figure. What each figure and"
  echo "baseline is: benches/README.md."
  echo
  for f in install load vault_sync rollback backup; do
    [ -s "$raw/$f.log" ] || continue
    echo "<details><summary>Raw output: $f</summary>"
    echo
    echo '```'
    cat "$raw/$f.log"
    echo '```'
    echo
    echo "</details>"
    echo
  done
} >"$out"

echo
echo "$table"
echo
echo "Written to $out (build $build_s s, measurements $measure_s s, total $total_s s)."
if [ "$total_s" -gt 900 ]; then
  echo "warning: more than 15 minutes in all (builds $build_s s, measurements $measure_s s)" >&2
fi

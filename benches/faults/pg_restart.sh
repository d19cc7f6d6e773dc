#!/usr/bin/env bash
# PostgreSQL stopped and started again under write load, the server left
# running. On a throwaway cluster of its own (never the shared one on 5432):
# `pg_createcluster <newest version> upsignon_fault_<pid> --port <free port
# from 5499>`, dropped on exit whatever happens.
#
#   benches/faults/pg_restart.sh [--short] [--down-secs 8] [--before-secs 5]
#                                [--after-secs 15] [--users 64] [--clients 8]
#
# 8 keep-alive clients write (get-vault-data, then update-vault-data with
# the version read and new ciphertext; benches/faults/lib/client.mjs --mode
# writes), each on its own users, and every request is recorded. After
# --before-secs the cluster is stopped (`pg_ctlcluster stop -m fast`), stays
# down --down-secs, is started again, and the load goes on --after-secs past
# the server's recovery. --short: 3 s before, 8 s after.
#
# Fails (exit 1) when:
#   - a request in flight at the stop, sent while PostgreSQL was down or
#     during its start got anything but 503 (or a 200 once PostgreSQL was
#     back): a 500, a reset connection, no answer within the client timeout
#     (15 s; the pool waits 5 s for a connection);
#   - with --down-secs above the pool's wait (6 s or more), no 503 at all;
#   - the server did not serve again by itself within 20 s of PostgreSQL
#     answering, or failed a request sent after it did;
#   - an acknowledged write was lost: for each vault, the database (read
#     with psql at the end) must hold the last acknowledged write (its
#     version and SHA-256), or a newer write the client sent but whose answer
#     it did not get;
#   - anything failed before the stop, or the server process died.
# Prints status counts per phase, recovery times and the write check as one
# summary block, then a JSON line. Needs pg_createcluster (postgresql-common),
# psql, node, python3, and root or the postgres user.
# UPSIGNON_BIN: the server binary (default target/debug/upsignon).

name=pg_restart
. "$(dirname "$0")/lib/common.sh"

down_secs=8 before_secs=5 after_secs=15 users=64 clients=8 short=0
recovery_bound=20  # seconds from PostgreSQL answering to the server serving
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --short) short=1 ;;
    --down-secs) down_secs=${2:?}; shift ;;
    --before-secs) before_secs=${2:?}; shift ;;
    --after-secs) after_secs=${2:?}; shift ;;
    --users) users=${2:?}; shift ;;
    --clients) clients=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ "$short" = 1 ] && { before_secs=3; after_secs=8; }
need psql pg_createcluster pg_ctlcluster pg_dropcluster pg_lsclusters

version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)
[ -n "$version" ] || die "no PostgreSQL version under /etc/postgresql"
cluster=upsignon_fault_$$
pg_port=""
for candidate in $(seq 5499 5599); do
  pg_lsclusters -h 2>/dev/null | awk '{ print $3 }' | grep -qx "$candidate" && continue
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1])))' "$candidate" 2>/dev/null || continue
  pg_port=$candidate
  break
done
[ -n "$pg_port" ] || die "no free port in 5499-5599 for the throwaway cluster"

pgq() { psql -h 127.0.0.1 -p "$pg_port" -U postgres -d "${2:-postgres}" -v ON_ERROR_STOP=1 -qtAc "$1"; }
pg_answers() { pg_isready -h 127.0.0.1 -p "$pg_port" -q 2>/dev/null || pgq 'SELECT 1' >/dev/null 2>&1; }
ctl() { pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" "$@"; }

# Registered before creating it, so a half-made cluster goes too.
cleanups+=("pg_dropcluster --stop $version $cluster")
log "throwaway cluster $version/$cluster on port $pg_port"
pg_createcluster "$version" "$cluster" --port "$pg_port" -- --auth=trust >"$work/pg_create.log" 2>&1 ||
  { cat "$work/pg_create.log" >&2; die "pg_createcluster failed"; }
ctl start >>"$work/pg_create.log" 2>&1 || { cat "$work/pg_create.log" >&2; die "cannot start the cluster"; }
for _ in $(seq 1 100); do pg_answers && break; sleep 0.1; done
pg_answers || die "the new cluster does not answer on port $pg_port"

dir=$work/postgres
log "migrate and seed $users users"
prepare_db postgres "$dir" "$pg_port" || die "migrate or seed failed"
port=$(free_port)
url=https://127.0.0.1:$port
write_config "$dir/upsignon.toml" "$db_url" "$dir/state" "$port"
start_server "$dir/upsignon.toml" "$url" "$dir/server.log" || die "server did not start"
server_pid=$srv_pid
log "serving on $url (pid $srv_pid), database on port $pg_port"

phases=$work/phases
: >"$phases"
mark() { echo "$1=$(now_ms)" >>"$phases"; }
stop_file=$work/stop
timeout --foreground $((before_secs + down_secs + recovery_bound + after_secs + 120)) \
  node "$faults_dir/lib/client.mjs" --mode writes --url "$url" --ca "$dir/state/tls/cert.pem" \
  --tokens "$dir/tokens" --clients "$clients" --timeout 15 --out "$work/records.jsonl" \
  --stop-file "$stop_file" --max-seconds $((before_secs + down_secs + recovery_bound + after_secs + 60)) \
  2>"$work/client.err" &
client_pid=$!
cleanups+=("kill $client_pid")
mark load_start
nap "$before_secs"

log "stopping PostgreSQL (-m fast) for $down_secs s"
mark stop0
ctl stop -m fast >>"$work/pg_ctl.log" 2>&1 || log "pg_ctlcluster stop failed (see $work/pg_ctl.log)"
mark stop1
nap "$down_secs"
log "starting PostgreSQL"
mark start0
ctl start >>"$work/pg_ctl.log" 2>&1 || log "pg_ctlcluster start failed"
mark start1
for _ in $(seq 1 100); do pg_answers && break; sleep 0.1; done
mark pg_answers

# The server serves again by itself: /health/ready and a data route answer 200.
token=$(head -n 1 "$dir/tokens")
recovered=0
deadline=$(($(now_ms) + recovery_bound * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 -X POST -H 'content-type: application/json' \
    -H "authorization: Bearer $token" -d '{}' "$url/bench/api2/get-vault-data")
  if [ "$code" = 200 ]; then recovered=1; break; fi
  sleep 0.1
done
mark probe_recovered
[ "$recovered" = 1 ] || log "the server does not serve $recovery_bound s after PostgreSQL came back"
nap "$after_secs"
touch "$stop_file"
mark load_stop
for _ in $(seq 1 400); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.05; done
wait "$client_pid"
client_rc=$?
server_alive=0
alive "$server_pid" && server_alive=1
[ "$client_rc" = 0 ] || { log "load client exited $client_rc:"; tail -n 5 "$work/client.err" >&2; }

# What the database holds, per session token: version and SHA-256 of the vault.
pgq "SELECT s.token_hash, v.version, encode(sha256(convert_to(v.encrypted_data, 'UTF8')), 'hex')
     FROM device_sessions s JOIN vaults v ON v.user_id = s.user_id" "$db_name" >"$work/db.txt" ||
  log "cannot read the vaults back"
log_500=$(grep -c 'client API request failed' "$dir/server.log")
log_unreachable=$(grep -c 'database unreachable' "$dir/server.log")

python3 "$faults_dir/lib/judge_pg_restart.py" --records "$work/records.jsonl" --phases "$phases" \
  --tokens "$dir/tokens" --db "$work/db.txt" --down-secs "$down_secs" --recovery-bound "$recovery_bound" \
  --client-rc "$client_rc" --server-alive "$server_alive" --log-500 "$log_500" \
  --log-unreachable "$log_unreachable" --pg "$version/$cluster:$pg_port"
rc=$?
if [ "$rc" != 0 ]; then
  log "server log, first ERROR lines:"
  grep -m 5 'ERROR' "$dir/server.log" >&2
fi
exit "$rc"

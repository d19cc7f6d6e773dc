#!/usr/bin/env bash
# SIGTERM under load: graceful shutdown of a real `upsignon serve`.
#
#   benches/faults/sigterm.sh [--backend sqlite|postgres] [--short]
#                             [--load-secs 8] [--shutdown-timeout 10]
#                             [--users 64] [--clients 8] [--strict]
#
# 8 keep-alive clients loop get-vault-data + update-vault-data on their own
# users (benches/faults/lib/client.mjs --mode sigterm). After --load-secs
# (3 with --short) the client itself sends SIGTERM to the server, so "sent
# before the signal" is exact, and keeps sending; from then on a prober
# also opens a new connection every 50 ms. The server runs with
# shutdown_timeout_secs = --shutdown-timeout. postgres uses a database of
# its own on the shared cluster at 127.0.0.1:5432 (dropped at the end).
#
# Fails (exit 1) when:
#   - a request sent before the signal did not get a whole 2xx answer
#     (reset, closed, error status, truncated body, no answer in 15 s);
#   - the server did not exit, or exited with a code other than 0, within
#     shutdown_timeout_secs of the signal (+1 s for polling and teardown);
#   - a request sent after the signal hung: no outcome within 2 s (an
#     answer, or a refused or closed connection);
#   - a connection attempted after the server exited was not refused;
#   - with --strict, a request sent after the signal got anything but a
#     refusal (a kept-alive connection closed under the next request counts).
# Requests sent after the signal are counted by outcome: refused (what a
# stopped server must give), served 2xx (a kept-alive connection the server
# was still finishing), closed (reset or hang-up). Prints the counts as one
# summary block, then a JSON line.
# UPSIGNON_BIN: the server binary (default target/debug/upsignon).

name=sigterm
. "$(dirname "$0")/lib/common.sh"

backend=sqlite load_secs=8 shutdown_timeout=10 users=64 clients=8 short=0 strict=()
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --backend) backend=${2:?}; shift ;;
    --short) short=1 ;;
    --strict) strict=(--strict) ;;
    --load-secs) load_secs=${2:?}; shift ;;
    --shutdown-timeout) shutdown_timeout=${2:?}; shift ;;
    --users) users=${2:?}; shift ;;
    --clients) clients=${2:?}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
[ "$short" = 1 ] && load_secs=3
case $backend in sqlite | postgres) ;; *) die "--backend sqlite|postgres" ;; esac
[ "$backend" = sqlite ] || shared_pg_up || die "--backend postgres needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust)"

# The shutdown steps in the log, to time them (the rest stays at warn).
export UPSIGNON_LOG_LEVEL=warn,actix_server=info,upsignon=info
dir=$work/$backend
log "$backend: migrate and seed $users users"
prepare_db "$backend" "$dir" || die "migrate or seed failed"
port=$(free_port)
url=https://127.0.0.1:$port
write_config "$dir/upsignon.toml" "$db_url" "$dir/state" "$port" "shutdown_timeout_secs = $shutdown_timeout"
start_server "$dir/upsignon.toml" "$url" "$dir/server.log" || die "server did not start"
pid=$srv_pid
log "serving on $url (pid $pid); SIGTERM after $load_secs s of $clients clients, shutdown_timeout_secs = $shutdown_timeout"

after_secs=$((shutdown_timeout + 5))
timeout --foreground $((load_secs + after_secs + 60)) node "$faults_dir/lib/client.mjs" --mode sigterm \
  --url "$url" --ca "$dir/state/tls/cert.pem" --tokens "$dir/tokens" --clients "$clients" --timeout 15 \
  --pid "$pid" --signal-after "$load_secs" --after-seconds "$after_secs" --out "$work/records.jsonl" \
  2>"$work/client.err" &
client_pid=$!
cleanups+=("kill $client_pid")

# Watch the server until it is gone (bounded), then collect its exit code.
exit_ms="" exit_code=""
deadline=$(($(now_ms) + (load_secs + after_secs + 10) * 1000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  alive "$pid" || { exit_ms=$(now_ms); break; }
  sleep 0.02
done
if [ -z "$exit_ms" ]; then
  log "the server is still running $((after_secs + 10)) s after the signal: SIGKILL"
  kill -KILL "$pid" 2>/dev/null
fi
wait "$pid"
exit_code=$?
srv_pid=""
[ -n "$exit_ms" ] || exit_code=killed
for _ in $(seq 1 $(((after_secs + 70) * 10))); do kill -0 "$client_pid" 2>/dev/null || break; sleep 0.1; done
wait "$client_pid"
client_rc=$?
[ "$client_rc" = 0 ] || { log "load client exited $client_rc:"; tail -n 5 "$work/client.err" >&2; }
errors_logged=$(grep -c 'ERROR' "$dir/server.log")

python3 "$faults_dir/lib/judge_sigterm.py" --records "$work/records.jsonl" --backend "$backend" \
  --exit-ms "${exit_ms:-0}" --exit-code "$exit_code" --shutdown-timeout "$shutdown_timeout" \
  --client-rc "$client_rc" --log-errors "$errors_logged" --server-log "$dir/server.log" "${strict[@]}"
rc=$?
if [ "$rc" != 0 ]; then
  log "end of the server log:"
  tail -n 10 "$dir/server.log" >&2
fi
exit "$rc"

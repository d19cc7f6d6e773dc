#!/usr/bin/env bash
# Soak: a real `upsignon serve` under an app fleet's mixed traffic for
# minutes, on loopback. 8 keep-alive clients, each on its own seeded users,
# loop over get-vault-data (45%, half with If-None-Match), a sync cycle
# get-vault-data + update-vault-data with the version read (30%),
# get-authorized-devices (15%) and bank-config (10%)
# (benches/lib/load.mjs --mode mixed).
#
#   benches/faults/soak.sh [--minutes N] [--backend sqlite|postgres] [--short]
#                          [--users 200] [--clients 8] [--warmup SECONDS]
#
# --minutes: the measured window, default 5 (decimals allowed); --short is
# 30 s. A warm-up (default 20 s, 5 s with --short) comes first: the RSS at its
# end is the start figure. postgres uses a database of its own on the shared
# cluster at 127.0.0.1:5432 (dropped at the end).
#
# Fails (exit 1) when: any request failed (non-2xx other than a 304 to an
# If-None-Match, no answer within 15 s, connection error), any 409 (each
# client owns its users, so there must be none), the server died, or the
# memory is not flat: RSS at the end above the RSS after warm-up by more than
# max(25 %, 15 MB). Prints a summary block and a final JSON line.
# UPSIGNON_BIN: the server binary (default target/debug/upsignon).

name=soak
. "$(dirname "$0")/lib/common.sh"

minutes=5 backend=sqlite users=200 clients=8 warmup="" short=0
usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; }
while [ $# -gt 0 ]; do
  case $1 in
    --minutes) minutes=${2:?}; shift ;;
    --backend) backend=${2:?}; shift ;;
    --users) users=${2:?}; shift ;;
    --clients) clients=${2:?}; shift ;;
    --warmup) warmup=${2:?}; shift ;;
    --short) short=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
case $backend in sqlite | postgres) ;; *) die "--backend sqlite|postgres" ;; esac
if [ "$short" = 1 ]; then
  seconds=30
  warmup=${warmup:-5}
else
  seconds=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60 + 0.5); print (s < 1 ? 1 : s) }')
  warmup=${warmup:-20}
fi
timeout_s=15          # per request, client side
margin_pct=25 margin_mb=15
[ "$backend" = sqlite ] || shared_pg_up || die "--backend postgres needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust)"

dir=$work/$backend
log "$backend: migrate and seed $users users"
prepare_db "$backend" "$dir" || die "migrate or seed failed"
port=$(free_port)
url=https://127.0.0.1:$port
write_config "$dir/upsignon.toml" "$db_url" "$dir/state" "$port"
start_server "$dir/upsignon.toml" "$url" "$dir/server.log" || die "server did not start"
log "serving on $url (pid $srv_pid); $warmup s warm-up, then $seconds s of $clients clients"

# RSS every second, for the trend (the check uses load.mjs's start and end figures).
rss_log=$work/rss.tsv
(
  t0=$(now_ms)
  for ((i = 0; i < warmup + seconds + 120; i++)); do
    kb=$(rss_kb "$srv_pid") || break
    [ -n "$kb" ] || break
    echo "$((($(now_ms) - t0) / 1000)) $kb"
    sleep 1
  done
) >"$rss_log" &
sampler=$!
cleanups+=("kill $sampler")

pg_args=()
[ "$backend" = postgres ] && pg_args=(--pg-db "$db_name")
started=$(now_ms)
timeout --foreground $((warmup + seconds + 60)) node benches/lib/load.mjs --mode mixed \
  --url "$url" --ca "$dir/state/tls/cert.pem" --pid "$srv_pid" --tokens "$dir/tokens" \
  --clients "$clients" --warmup "$warmup" --seconds "$seconds" --timeout "$timeout_s" \
  --clk-tck "$(getconf CLK_TCK)" "${pg_args[@]}" >"$work/load.json" 2>"$work/load.err"
load_rc=$?
elapsed=$((($(now_ms) - started) / 1000))
server_alive=1
alive "$srv_pid" || server_alive=0
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
[ "$load_rc" = 0 ] || { log "load client exited $load_rc:"; tail -n 5 "$work/load.err" >&2; }
errors_logged=$(grep -c 'ERROR' "$dir/server.log")
warns_logged=$(grep -c 'WARN' "$dir/server.log")

python3 - "$work/load.json" "$rss_log" <<PY
import json, sys
try:
    r = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
except Exception as e:
    r = {}
samples = [tuple(map(int, l.split())) for l in open(sys.argv[2]) if l.strip()]
backend, users, clients = "$backend", $users, $clients
warmup, seconds, elapsed = $warmup, $seconds, $elapsed
load_rc, alive = $load_rc, $server_alive
margin_pct, margin_mb = $margin_pct, $margin_mb
start, end, peak = r.get("rss_start_mb"), r.get("rss_end_mb"), r.get("rss_max_mb")
errors, conflicts = r.get("errors"), r.get("conflicts")
allowed = None if start is None else max(start * margin_pct / 100, margin_mb)
checks = {
    "load client finished": load_rc == 0 and bool(r),
    "server still running": alive == 1,
    "no failed request": errors == 0,
    "no 409": conflicts == 0,
    "flat memory": start is not None and end is not None and end - start <= allowed,
}
ok = all(checks.values())
def f(v, d=1):
    return "n/a" if v is None else f"{v:.{d}f}"
trend = ""
if samples:
    window = [s for s in samples if s[0] >= warmup] or samples
    picks = [window[min(len(window) - 1, int(q * (len(window) - 1)))] for q in (0, .25, .5, .75, 1)]
    trend = ", ".join(f"{t} s: {kb / 1024:.1f}" for t, kb in picks)
statuses = r.get("statuses", {})
print(f"""
===== soak ({backend}) =====
window           {seconds} s after {warmup} s warm-up ({elapsed} s in all), {clients} clients, {users} users
requests served  {r.get('requests_all', 'n/a')} in all, {r.get('requests', 'n/a')} in the window ({f(r.get('rps'), 0)} req/s)
latency          p50 {f(r.get('p50_ms'), 2)} ms, p99 {f(r.get('p99_ms'), 2)} ms (window)
statuses         {', '.join(f'{k}: {v}' for k, v in sorted(statuses.items())) or 'n/a'}
connections      {r.get('connections_opened', 'n/a')} opened by {clients} keep-alive clients (more: the server closed kept-alive connections)
errors           {errors if errors is not None else 'n/a'} (409: {conflicts if conflicts is not None else 'n/a'}){'; first: ' + r['first_error'] if r.get('first_error') else ''}
RSS              start {f(start)} MB (after warm-up), end {f(end)} MB, peak {f(peak)} MB; end - start {f(None if start is None or end is None else end - start)} MB, allowed {f(allowed)} MB (max {margin_pct} %, {margin_mb} MB)
RSS trend (MB)   {trend or 'n/a'}
server log       $errors_logged ERROR lines, $warns_logged WARN lines
""".rstrip())
for name, passed in checks.items():
    print(f"check            {'ok  ' if passed else 'FAIL'} {name}")
print(f"result           {'PASS' if ok else 'FAIL'}")
print("=====")
print(json.dumps({"script": "soak", "backend": backend, "ok": ok, "seconds": seconds, "warmup": warmup,
                  "clients": clients, "users": users, "requests": r.get("requests_all"),
                  "requests_window": r.get("requests"), "rps": r.get("rps"), "errors": errors,
                  "conflicts": conflicts, "statuses": statuses, "connections_opened": r.get("connections_opened"), "rss_start_mb": start, "rss_end_mb": end,
                  "rss_max_mb": peak, "rss_allowed_growth_mb": allowed,
                  "server_log_errors": $errors_logged,
                  "failed_checks": [n for n, p in checks.items() if not p]}))
sys.exit(0 if ok else 1)
PY
rc=$?
if [ "$rc" != 0 ] && [ "$errors_logged" != 0 ]; then
  log "server log, first ERROR lines:"
  grep -m 5 'ERROR' "$dir/server.log" >&2
fi
exit "$rc"

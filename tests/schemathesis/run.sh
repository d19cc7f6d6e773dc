#!/usr/bin/env bash
# Fuzzes the client API of a real `upsignon serve` against its own OpenAPI
# document (/openapi.json) with schemathesis, and fails on any answer that is
# a server error or that the document does not describe.
#
#   tests/schemathesis/run.sh                        50 examples per operation, SQLite (about 1 min)
#   tests/schemathesis/run.sh --examples 10          fewer (CI)
#   tests/schemathesis/run.sh --backend postgres     its own database on 127.0.0.1:5432 (user postgres, trust)
#   tests/schemathesis/run.sh --schema crates/upsignon-api/openapi.json
#                                                    fuzz the file (changed since the binary was built)
#
# Other options: --seed N|random (default 1: the same cases every run),
# --timeout SECS (the schemathesis run, default 600), --workers N (default
# 2: concurrent requests), --report DIR (keep schemathesis' JUnit, NDJSON
# and HAR reports and the server's log there), --serve (set up the seeded
# server as for a run, print its URL, CA and tokens, and keep it until
# Ctrl-C or SIGTERM: to replay a failure's curl line). Arguments after --
# go to `st run` as they are (e.g. -- --checks all, or
# -- --include-operation-id delete-account).
#
# The server is UPSIGNON_BIN (default target/debug/upsignon; build it first),
# run from a copy, on a free loopback port with its own temporary state
# directory, self-signed TLS (its certificate is the CA schemathesis trusts)
# and rate limits off. Its database is seeded by benches/lib/seed.py (tenant
# `bench`, 1,000 users or more with devices, sessions and vaults) and
# tests/schemathesis/fixtures.py (shared vaults of the main user, real ids
# that generated requests use half of the time); tests/schemathesis/hooks.py
# sends the seeded sessions as bearer tokens. Schemathesis (pinned below) is
# installed from PyPI into ${XDG_CACHE_HOME:-~/.cache}/upsignon/schemathesis-venv
# when missing.
#
# Checks: not_a_server_error, status_code_conformance,
# content_type_conformance, response_headers_conformance,
# response_schema_conformance, negative_data_rejection, ignored_auth. Phases:
# examples, coverage (boundary values, wrong types, other methods), fuzzing;
# not stateful (the document has no links). Exits 0 when nothing failed, 1
# on any failure, 2 on a usage or setup error. Everything it starts or
# creates (server, temporary directory, PostgreSQL database) is stopped and
# removed at exit.

set -uo pipefail
SCHEMATHESIS_VERSION=4.32.5

caller=$PWD
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$self")/../.."
root=$PWD
absolute() { case $1 in /*) echo "$1" ;; *) echo "$caller/$1" ;; esac; }
here=$root/tests/schemathesis

usage() { sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$self"; }
examples=50 backend=sqlite seed=1 timeout_s=600 workers=2 report_dir="" schema_file="" serve_only=0 st_args=()
while [ $# -gt 0 ]; do
  case $1 in
    --examples) examples=${2:-}; shift ;;
    --examples=*) examples=${1#*=} ;;
    --backend) backend=${2:-}; shift ;;
    --backend=*) backend=${1#*=} ;;
    --seed) seed=${2:-}; shift ;;
    --seed=*) seed=${1#*=} ;;
    --timeout) timeout_s=${2:-}; shift ;;
    --timeout=*) timeout_s=${1#*=} ;;
    --workers) workers=${2:-}; shift ;;
    --workers=*) workers=${1#*=} ;;
    --report) report_dir=${2:-}; shift ;;
    --report=*) report_dir=${1#*=} ;;
    --schema) schema_file=${2:-}; shift ;;
    --schema=*) schema_file=${1#*=} ;;
    --serve) serve_only=1 ;;
    --) shift; st_args=("$@"); break ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown argument: $1" >&2; usage >&2; exit 2 ;;
  esac
  shift
done
number() { [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ]; }
number "$examples" || { echo "--examples needs a positive number" >&2; exit 2; }
number "$timeout_s" || { echo "--timeout needs a positive number of seconds" >&2; exit 2; }
number "$workers" || { echo "--workers needs a positive number" >&2; exit 2; }
[ "$seed" = random ] || [[ $seed =~ ^[0-9]+$ ]] || { echo "--seed needs a number or random" >&2; exit 2; }
if [ -n "$schema_file" ]; then
  schema_file=$(absolute "$schema_file")
  [ -f "$schema_file" ] || { echo "no such document: $schema_file" >&2; exit 2; }
fi
[ "$seed" != random ] || seed=$(( (RANDOM << 15) | RANDOM ))
case $backend in sqlite | postgres) ;; *) echo "--backend is sqlite or postgres" >&2; exit 2 ;; esac

bin=$(absolute "${UPSIGNON_BIN:-$root/target/debug/upsignon}")
[ -z "$report_dir" ] || report_dir=$(absolute "$report_dir")
[ -x "$bin" ] || { echo "no server binary at $bin: build it (cargo build -p upsignon) or set UPSIGNON_BIN" >&2; exit 2; }
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "tests/schemathesis/run.sh needs $tool" >&2; exit 2; }
done

now_ms() { date +%s%3N; }
started=$(now_ms)

# ------------------------------------------------------------ schemathesis
venv=${XDG_CACHE_HOME:-$HOME/.cache}/upsignon/schemathesis-venv
st=$venv/bin/st
if [ "$("$st" --version 2>/dev/null)" != "st, version $SCHEMATHESIS_VERSION" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $venv"
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check \
      "schemathesis==$SCHEMATHESIS_VERSION"; } >&2 || { echo "cannot install schemathesis" >&2; rm -rf "$venv"; exit 2; }
fi

# ------------------------------------------------------------- the server
work=$(mktemp -d "${TMPDIR:-/tmp}/upsignon-schemathesis.XXXXXX")
server_pid= st_pid= pg_db=
alive() { # PID: running and not a zombie
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}
stop() { # PID
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 100); do alive "$1" || break; sleep 0.05; done
  alive "$1" && kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
psql_q() { psql -h 127.0.0.1 -U postgres -d postgres -qtAXc "$1"; }
cleanup() {
  [ -z "$st_pid" ] || stop "$st_pid"
  [ -z "$server_pid" ] || stop "$server_pid"
  if [ -n "$report_dir" ] && [ -f "$work/server.log" ]; then
    mkdir -p "$report_dir" && cp "$work/server.log" "$report_dir/server.log"
  fi
  [ -z "$pg_db" ] || psql_q "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The lead rebuilds the binary often: run a copy.
cp "$bin" "$work/upsignon" || exit 2
exe=$work/upsignon
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
if [ "$backend" = postgres ]; then
  command -v psql >/dev/null && psql_q 'SELECT 1' >/dev/null 2>&1 ||
    { echo "PostgreSQL does not answer on 127.0.0.1:5432 (user postgres, trust)" >&2; exit 2; }
  pg_db=upsignon_schemathesis_$$
  psql_q "CREATE DATABASE $pg_db" >/dev/null || { pg_db=; exit 2; }
  db_url=postgres://postgres@127.0.0.1:5432/$pg_db
  seed_target=(--postgres "$pg_db")
else
  db_url=sqlite://$work/upsignon.db
  seed_target=(--sqlite "$work/upsignon.db")
fi
config=$work/upsignon.toml
cat >"$config.base" <<TOML
database_url = "$db_url"
state_dir = "$work/state"
listen = "127.0.0.1:$port"
log_level = "warn"
log_format = "human"
backup_interval_secs = 0
TOML
# Rate limits off: schemathesis sends thousands of requests from one address
# for one account. A binary older than these keys refuses them.
{ cat "$config.base"; printf 'rate_limit_ip_per_minute = 0\nrate_limit_account_per_minute = 0\n'; } >"$config"
if "$exe" --config "$config" config show >/dev/null 2>&1; then
  rate_limits=off
else
  cp "$config.base" "$config"
  rate_limits="not configurable (binary without rate_limit_* keys)"
  echo "warning: $bin does not know rate_limit_ip_per_minute: running with its default limits" >&2
fi

# Each disconnect and delete-account request spends a user's session: enough for all of them.
users=$((examples * 12 + 100))
[ "$users" -ge 1000 ] || users=1000
echo "== $backend database: migrate, seed $users users, fixtures"
timeout 120 "$exe" --config "$config" migrate up >>"$work/server.log" 2>&1 || { echo "migrate up failed:" >&2; tail -n 20 "$work/server.log" >&2; exit 2; }
timeout 120 python3 "$root/benches/lib/seed.py" "${seed_target[@]}" --users "$users" --tokens "$work/tokens" || exit 2
timeout 120 python3 "$here/fixtures.py" "${seed_target[@]}" --tokens "$work/tokens" --out "$work/fixtures" \
  --disposable $((2 * examples + 20)) || exit 2

"$exe" --config "$config" serve >>"$work/server.log" 2>&1 &
server_pid=$!
url=https://127.0.0.1:$port
ready=0 deadline=$(($(now_ms) + 60000))
while [ "$(now_ms)" -lt "$deadline" ]; do
  [ "$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$url/health/ready")" = 200 ] && { ready=1; break; }
  alive "$server_pid" || break
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "the server did not become ready within 60 s; its first errors and the end of its log:" >&2
  grep -m 3 -A 1 -E ' ERROR|panicked' "$work/server.log" >&2
  echo "..." >&2
  tail -n 5 "$work/server.log" >&2
  exit 2
fi
echo "== server $("$exe" --version) on $url ($backend, rate limits $rate_limits)"
fx=$work/fixtures
if [ "$serve_only" = 1 ]; then
  cat <<INFO
tenant:        bench (URLs $url/bench/api2/...)
CA:            $work/state/tls/cert.pem (or curl -k)
main session:  $(cat "$fx/main.token")  (user0@bench.test)
spare:         $(head -n 1 "$fx/pool.tokens")  (one of $(wc -l <"$fx/pool.tokens") in $fx/pool.tokens)
ids:           $fx/dict/
server log:    $work/server.log
Ctrl-C or kill $$ stops the server and removes everything.
INFO
  wait "$server_pid"
  echo "the server exited; end of its log:" >&2
  tail -n 20 "$work/server.log" >&2
  exit 2
fi

# ----------------------------------------------------------- schemathesis
dict() { printf '%s = { from-file = "%s" }\n' "$1" "$fx/dict/$1.txt"; }
cat >"$work/schemathesis.toml" <<TOML
tls-verify = "$work/state/tls/cert.pem"
request-timeout = 30
workers = $workers
seed = $seed
continue-on-failure = true
warnings = false
# A slow CI machine is not a failure of the API.
suppress-health-check = ["too_slow"]

[generation]
max-examples = $examples
# The apps send JSON from JavaScript; a NUL in a string is not what this fuzzes.
allow-x00 = false

# Throwaway sessions of a temporary database: show requests as sent, so that
# a failure's curl line replays against --serve as it is.
[output.sanitization]
enabled = false

[phases.stateful]
enabled = false

[checks]
enabled = false
not_a_server_error.enabled = true
status_code_conformance.enabled = true
content_type_conformance.enabled = true
response_headers_conformance.enabled = true
response_schema_conformance.enabled = true
negative_data_rejection.enabled = true
ignored_auth.enabled = true

[dictionaries]
$(for d in user_email device_id device_to_rename device_to_delete shared_vault_id disposable_vault_id \
  recipient_id email_address email_search access_level; do dict "$d"; done)

[parameters]
"path.tenant" = "bench"
"body.userEmail" = { dictionary = "user_email", probability = 0.5 }
"body.deviceId" = { dictionary = "device_id", probability = 0.5 }
"body.deviceToRename" = { dictionary = "device_to_rename", probability = 0.5 }
"body.deviceToDelete" = { dictionary = "device_to_delete", probability = 0.5 }
"body.sharedVaultId" = { dictionary = "shared_vault_id", probability = 0.6 }
"body.recipientId" = { dictionary = "recipient_id", probability = 0.6 }
"body.emailAddress" = { dictionary = "email_address", probability = 0.6 }
"body.emailAddressSearch" = { dictionary = "email_search", probability = 0.5 }
"body.accessLevel" = { dictionary = "access_level", probability = 0.6 }

[[operations]]
include-operation-id = "delete-shared-vault"
parameters = { "path.tenant" = "bench", "body.sharedVaultId" = { dictionary = "disposable_vault_id", probability = 0.8 } }
TOML

reports=$work/reports
mkdir -p "$reports"
echo "== schemathesis $SCHEMATHESIS_VERSION: $examples examples per operation, seed $seed, $workers workers, at most $timeout_s s"
# What to fuzz: the document the server serves, or --schema FILE (a document
# changed since the binary was built) with the server as base URL.
curl -s --cacert "$work/state/tls/cert.pem" -o "$work/served.json" "$url/openapi.json" ||
  { echo "GET /openapi.json failed" >&2; exit 2; }
if [ -n "$schema_file" ]; then
  location=("$schema_file" --url "$url")
  echo "document: $schema_file (the served one is not used)"
elif ! cmp -s "$work/served.json" "$root/crates/upsignon-api/openapi.json"; then
  location=("$url/openapi.json")
  echo "warning: the served /openapi.json differs from crates/upsignon-api/openapi.json (binary older than the" \
    "document?): fuzzing the served one; --schema crates/upsignon-api/openapi.json fuzzes the file" >&2
else
  location=("$url/openapi.json")
fi

st_started=$(now_ms)
# In the background and waited for, so that Ctrl-C or SIGTERM stops it at once.
exec {st_out}> >(tee "$work/st.out")
tee_pid=$!
(
  cd "$work" &&
    UPSIGNON_ST_FIXTURES=$fx SCHEMATHESIS_HOOKS=hooks PYTHONPATH=$here PYTHONDONTWRITEBYTECODE=1 \
      exec timeout -k 10 "$timeout_s" "$st" --config-file "$work/schemathesis.toml" run \
      "${location[@]}" --report junit,ndjson,har --report-dir "$reports" --no-color "${st_args[@]}"
) >&"$st_out" 2>&1 &
st_pid=$!
wait "$st_pid"
st_rc=$?
st_pid=
exec {st_out}>&-
wait "$tee_pid" 2>/dev/null
st_s=$((($(now_ms) - st_started) / 1000))
server_ok=1
alive "$server_pid" || server_ok=0
if [ -n "$report_dir" ]; then
  mkdir -p "$report_dir" && cp "$reports"/* "$work/st.out" "$report_dir/"
fi

# ---------------------------------------------------------------- summary
echo
echo "== summary (schemathesis $SCHEMATHESIS_VERSION, $backend, $examples examples per operation, seed $seed)"
grep -E '^ +Selected:' "$work/st.out" | sed 's/^ */operations /'
ndjson=$(ls "$reports"/*.ndjson 2>/dev/null | head -n 1)
har=$(ls "$reports"/har*.json 2>/dev/null | head -n 1)
[ -z "$ndjson" ] || python3 "$here/summary.py" "$ndjson" ${har:+"$har"}
# The server's own errors, deduplicated (timestamps cut).
grep -E ' (ERROR|panicked)' "$work/server.log" 2>/dev/null | sed -E 's/^[0-9T:.-]+Z +//' | sort | uniq -c |
  sort -rn >"$work/server-errors.txt"
echo "server log: $(awk '{ n += $1 } END { print n + 0 }' "$work/server-errors.txt") error lines"
head -n 10 "$work/server-errors.txt" | cut -c1-300 | sed 's/^/  /'
echo "time: schemathesis $st_s s, in all $((($(now_ms) - started) / 1000)) s"
failed=0
case $st_rc in
  0) ;;
  124 | 137) echo "FAILED: schemathesis did not finish within $timeout_s s"; failed=1 ;;
  1) echo "FAILED: schemathesis found failures (above; reproduce with the curl lines or --seed $seed)"; failed=1 ;;
  *) echo "FAILED: schemathesis exited $st_rc"; failed=1 ;;
esac
[ "$server_ok" = 1 ] || { echo "FAILED: the server died during the run; end of its log:"; tail -n 20 "$work/server.log"; failed=1; }
[ "$failed" = 0 ] && echo "OK: no failure"
exit "$failed"

#!/usr/bin/env bash
# The fault scripts in one command: soak, PostgreSQL restart under load,
# SIGTERM under load. Each runs a real `upsignon serve` on loopback with its
# own temporary directory and databases, and checks what it must (see each
# script's header and benches/README.md, "Fault scripts").
#
#   benches/faults/run.sh            full: 5-minute soaks on SQLite and PostgreSQL,
#                                    PostgreSQL down 8 s then 3 s, SIGTERM on both
#                                    backends (about 14 minutes)
#   benches/faults/run.sh --short    what CI runs (under 3 minutes): 30 s soak on
#                                    SQLite, PostgreSQL down 8 s, SIGTERM on both
#
# Exits 1 when a script fails. Parts that need PostgreSQL (the shared cluster
# on 127.0.0.1:5432 for soak/sigterm, pg_createcluster for pg_restart) are
# reported "skipped" when it is missing, unless FAULTS_REQUIRE_PG=1.
# UPSIGNON_BIN: the server binary (default target/debug/upsignon).

set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
short=0
case ${1:-} in
  --short) short=1 ;;
  "") ;;
  -h | --help) sed -n '2,/^$/{s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
  *) echo "usage: benches/faults/run.sh [--short]" >&2; exit 2 ;;
esac

shared_pg=0
command -v psql >/dev/null && psql -h 127.0.0.1 -U postgres -d postgres -qtAc 'SELECT 1' >/dev/null 2>&1 && shared_pg=1
own_cluster=0
if command -v pg_createcluster >/dev/null && [ -d /etc/postgresql ] && { [ "$(id -u)" = 0 ] || [ "$(id -un)" = postgres ]; }; then
  own_cluster=1
fi

# name | needs (none, shared, cluster) | bound in seconds | command
if [ "$short" = 1 ]; then
  runs=(
    "soak sqlite|none|120|$here/soak.sh --short --backend sqlite"
    "pg_restart|cluster|120|$here/pg_restart.sh --short"
    "sigterm sqlite|none|60|$here/sigterm.sh --short --backend sqlite"
    "sigterm postgres|shared|60|$here/sigterm.sh --short --backend postgres"
  )
else
  runs=(
    "soak sqlite|none|480|$here/soak.sh --minutes 5 --backend sqlite"
    "soak postgres|shared|480|$here/soak.sh --minutes 5 --backend postgres"
    "pg_restart down 8 s|cluster|240|$here/pg_restart.sh --down-secs 8"
    "pg_restart down 3 s|cluster|240|$here/pg_restart.sh --down-secs 3"
    "sigterm sqlite|none|120|$here/sigterm.sh --backend sqlite"
    "sigterm postgres|shared|120|$here/sigterm.sh --backend postgres"
  )
fi

started=$(date +%s)
results=()
failed=0
for run in "${runs[@]}"; do
  IFS='|' read -r label needs bound cmd <<<"$run"
  skip=""
  [ "$needs" = shared ] && [ "$shared_pg" = 0 ] && skip="PostgreSQL does not answer on 127.0.0.1:5432"
  [ "$needs" = cluster ] && [ "$own_cluster" = 0 ] && skip="needs pg_createcluster and root or postgres"
  if [ -n "$skip" ]; then
    if [ "${FAULTS_REQUIRE_PG:-0}" = 1 ]; then
      results+=("FAIL  $label: $skip")
      failed=1
    else
      results+=("skip  $label: $skip")
    fi
    continue
  fi
  printf '\n### %s: %s\n' "$label" "${cmd#"$here/"}"
  t0=$(date +%s)
  out=$(mktemp)
  # A script that overruns its bound gets SIGTERM (its traps clean up), then SIGKILL.
  timeout --foreground -k 20 "$bound" $cmd | tee "$out"
  rc=${PIPESTATUS[0]}
  secs=$(($(date +%s) - t0))
  json=$(grep '^{"script"' "$out" | tail -n 1)
  rm -f "$out"
  if [ "$rc" = 0 ]; then
    results+=("ok    $label ($secs s)")
  else
    [ "$rc" = 124 ] && why="over its $bound s bound" || why="exit $rc"
    results+=("FAIL  $label ($secs s, $why)${json:+: failed checks $(python3 -c 'import json,sys; print(", ".join(json.loads(sys.argv[1]).get("failed_checks", [])))' "$json" 2>/dev/null)}")
    failed=1
  fi
done

printf '\n===== benches/faults/run.sh%s: %s s =====\n' "$([ "$short" = 1 ] && echo ' --short')" "$(($(date +%s) - started))"
printf '%s\n' "${results[@]}"
printf '=====\n'
exit "$failed"

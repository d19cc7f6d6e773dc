#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time and prints, per
# target, the executions, the corpus size and whether it found a crash.
#
#   benches/fuzz.sh                 # 60 s per target
#   benches/fuzz.sh --seconds 600   # a long run, before a release
#   benches/fuzz.sh --seconds 20    # what CI runs
#
# Needs the nightly toolchain (rustup) and cargo-fuzz, which it installs
# when missing (`cargo install --locked cargo-fuzz`). Crashes are kept in
# fuzz/artifacts/TARGET/; reproduce one with
# `cargo +nightly fuzz run TARGET fuzz/artifacts/TARGET/crash-...`.
# The corpus grows in fuzz/corpus/TARGET/ (not committed); fuzz/seeds/TARGET/
# holds the committed starting inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=60
while (($#)); do
  case "$1" in
    --seconds) seconds=$2; shift 2 ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "the nightly toolchain is missing: install it with 'rustup toolchain install nightly'" >&2
  exit 2
fi
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz

targets=(request_decoders backup_reader config_parser)
export CARGO_TERM_COLOR=never
echo "== building the fuzz targets (nightly, sanitizer: address)"
(cd fuzz && cargo +nightly fuzz build 2>&1 | tail -n 3)

failed=0
printf '\n| target | seconds | executions | exec/s | corpus | crashes |\n|---|---|---|---|---|---|\n' >/tmp/upsignon-fuzz-summary.$$
for target in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$target"
  log=$(mktemp)
  echo "== $target for $seconds s"
  set +e
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1) >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
  speed=$(grep -oE 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -oE '[0-9]+$' | tail -n 1)
  corpus=$(find "fuzz/corpus/$target" -type f | wc -l)
  crashes=0
  if ((rc != 0)); then
    crashes=1
    failed=1
    echo "$target found a problem (exit $rc); end of its log:" >&2
    tail -n 40 "$log" >&2
  fi
  printf '| %s | %s | %s | %s | %s | %s |\n' "$target" "$seconds" "${execs:-?}" "${speed:-?}" "$corpus" "$crashes" \
    >>/tmp/upsignon-fuzz-summary.$$
  rm -f "$log"
done
cat /tmp/upsignon-fuzz-summary.$$
rm -f /tmp/upsignon-fuzz-summary.$$
exit "$failed"

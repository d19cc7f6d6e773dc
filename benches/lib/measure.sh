# Sourced by the bench scripts. measure CMD ARGS...: runs the command (its
# output discarded) and prints "SECONDS MAX_RSS_MB", the peak RSS of the
# command and its children.
measure() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys, time
start = time.monotonic()
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
elapsed = time.monotonic() - start
rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(f"{elapsed:.2f} {rss_mb:.0f}")
PY
}

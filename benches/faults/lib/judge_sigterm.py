#!/usr/bin/env python3
"""Judges a sigterm.sh run from the client's records (client.mjs --mode
sigterm) and the server's exit. Prints the summary block and the JSON line;
exits 1 when a check fails. See sigterm.sh for the checks."""
import argparse
import json
import sys
from collections import Counter

p = argparse.ArgumentParser()
p.add_argument("--records", required=True)
p.add_argument("--backend", required=True)
p.add_argument("--exit-ms", type=float, required=True)
p.add_argument("--exit-code", required=True)
p.add_argument("--shutdown-timeout", type=float, required=True)
p.add_argument("--client-rc", type=int, required=True)
p.add_argument("--log-errors", type=int, required=True)
p.add_argument("--server-log")
p.add_argument("--strict", action="store_true")
a = p.parse_args()
HANG_MS = 2000


def log_time(needle):
    """Epoch ms of the first server log line containing `needle`."""
    from datetime import datetime
    try:
        for line in open(a.server_log or "/dev/null", errors="replace"):
            if needle in line:
                stamp = line.split()[0].rstrip("Z")
                return datetime.fromisoformat(stamp[:26] + "+00:00").timestamp() * 1000
    except (OSError, ValueError):
        pass
    return None

records = []
try:
    records = [json.loads(line) for line in open(a.records) if line.strip()]
except OSError:
    pass
signal = next((r["t"] for r in records if r["k"] == "signal"), None)
exit_ms = a.exit_ms or None
requests = [r for r in records if r["k"] in ("get", "put", "probe")]


def outcome(r):
    if r["status"]:
        if 200 <= r["status"] < 300:
            return "2xx" if r.get("full", True) else "2xx truncated"
        return str(r["status"])
    err = r.get("err") or ""
    if err == "ECONNREFUSED":
        return "refused"
    if err == "timeout":
        return "timeout"
    if err in ("ECONNRESET", "EPIPE") or "aborted" in err or "socket hang up" in err:
        return "closed"
    return f"error {err}"


ok_checks = {}
if signal is None:
    before = after = during = post_exit = connecting = []
else:
    # Sent before the signal: written to an open connection before it. A
    # request whose new connection was still in its TLS handshake at the
    # signal had sent nothing yet: counted apart.
    before = [r for r in requests if r.get("ts") is not None and r["ts"] < signal]
    connecting = [r for r in requests if r["t0"] < signal and (r.get("ts") is None or r["ts"] >= signal)]
    after = [r for r in requests if r["t0"] >= signal]
    during = [r for r in after if exit_ms is None or r["t0"] < exit_ms]
    post_exit = [r for r in after if exit_ms is not None and r["t0"] >= exit_ms]
inflight = [r for r in before if r["t1"] > signal]
before_bad = Counter(outcome(r) for r in before if outcome(r) != "2xx")
hung = [r for r in after if r["t1"] - r["t0"] > HANG_MS]
exit_after = None if exit_ms is None or signal is None else exit_ms - signal
post_exit_bad = Counter(outcome(r) for r in post_exit if outcome(r) != "refused")
last_answer = max((r["t1"] for r in requests if r["status"]), default=None)


def kinds(rs, reused=None):
    c = Counter()
    for r in rs:
        if reused is None or bool(r.get("reused")) == reused:
            c[outcome(r)] += 1
    return c


def counts(c):
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "none"


bound_ms = a.shutdown_timeout * 1000 + 1000
checks = {
    "load client finished": a.client_rc == 0 and signal is not None,
    "every request sent before the signal got a whole 2xx": bool(before) and not before_bad,
    f"exit code 0 within shutdown_timeout_secs ({a.shutdown_timeout:.0f} s, +1 s)":
        a.exit_code == "0" and exit_after is not None and exit_after <= bound_ms,
    f"no request after the signal hung (> {HANG_MS / 1000:.0f} s)": not hung,
    "connections after the exit refused": bool(post_exit) and not post_exit_bad,
}
if a.strict:
    checks["every request after the signal refused (--strict)"] = all(outcome(r) == "refused" for r in after)
ok = all(checks.values())
during_data = [r for r in during if r["k"] != "probe"]
during_probe = [r for r in during if r["k"] == "probe"]
print(f"\n===== sigterm ({a.backend}) =====")
print(f"before signal    {len(before)} requests: {counts(kinds(before))}; in flight at the signal: "
      f"{len(inflight)} ({counts(kinds(inflight))}), slowest of them ended "
      f"{max((r['t1'] - signal for r in inflight), default=0):.0f} ms after it")
print(f"connecting       {len(connecting)} requests on a connection still opening at the signal: "
      f"{counts(kinds(connecting))}")
print(f"exit             code {a.exit_code}, "
      f"{'n/a' if exit_after is None else f'{exit_after:.0f} ms'} after SIGTERM "
      f"(shutdown_timeout_secs = {a.shutdown_timeout:.0f})")
print(f"after signal     {len(after)} requests until 1 s past the exit")
print(f"  until exit     apps' next requests: {counts(kinds(during_data))} "
      f"(on kept-alive connections: {counts(kinds(during_data, True))}); "
      f"new connections: {counts(kinds(during_probe))}")
print(f"  after exit     {counts(kinds(post_exit))}")
print(f"hung (> {HANG_MS} ms)  {len(hung)}" + (f": {counts(kinds(hung))}, longest "
      f"{max(r['t1'] - r['t0'] for r in hung):.0f} ms" if hung else ""))
if last_answer is not None and signal is not None:
    print(f"last answer      {last_answer - signal:.0f} ms after SIGTERM")
stopped = log_time("upsignon stopped")
if stopped is not None and signal is not None:
    print(f"server log       'upsignon stopped' {stopped - signal:.0f} ms after SIGTERM")
print(f"server log       {a.log_errors} ERROR lines")
for name, passed in checks.items():
    print(f"check            {'ok  ' if passed else 'FAIL'} {name}")
print(f"result           {'PASS' if ok else 'FAIL'}")
print("=====")
print(json.dumps({
    "script": "sigterm", "backend": a.backend, "ok": ok,
    "sent_before": len(before), "before_outcomes": dict(kinds(before)), "inflight_at_signal": len(inflight),
    "connecting_at_signal": dict(kinds(connecting)),
    "exit_code": a.exit_code, "exit_ms_after_signal": exit_after, "shutdown_timeout_secs": a.shutdown_timeout,
    "after_until_exit": dict(kinds(during)), "after_until_exit_reused": dict(kinds(during_data, True)),
    "new_connections_until_exit": dict(kinds(during_probe)), "after_exit": dict(kinds(post_exit)),
    "hung": len(hung), "server_log_errors": a.log_errors,
    "failed_checks": [n for n, passed in checks.items() if not passed],
}))
sys.exit(0 if ok else 1)

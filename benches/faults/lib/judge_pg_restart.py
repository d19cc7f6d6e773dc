#!/usr/bin/env python3
"""Judges a pg_restart.sh run from the client's records (client.mjs --mode
writes), the phase marks the script wrote and the vaults read back from the
database. Prints the summary block and the JSON line; exits 1 when a check
fails. See pg_restart.sh for the checks."""
import argparse
import hashlib
import json
import sys
from collections import Counter, defaultdict

p = argparse.ArgumentParser()
for name in ("records", "phases", "tokens", "db", "pg"):
    p.add_argument(f"--{name}", required=True)
for name in ("down-secs", "recovery-bound", "client-rc", "server-alive", "log-500", "log-unreachable"):
    p.add_argument(f"--{name}", type=float, required=True)
a = p.parse_args()

records = []
try:
    records = [json.loads(line) for line in open(a.records) if line.strip()]
except OSError:
    pass
marks = dict(line.strip().split("=", 1) for line in open(a.phases) if "=" in line)
marks = {k: int(v) for k, v in marks.items()}
stop0, stop1, start0 = marks.get("stop0"), marks.get("stop1"), marks.get("start0")
back = max(marks.get("start1", 0), marks.get("pg_answers", 0))
data = [r for r in records if r["k"] in ("get", "put")]
ready = [r for r in records if r["k"] == "ready"]


def phase(r):
    if r["t1"] < stop0:
        return "before"
    if r["t0"] < stop1:
        return "stopping"
    if r["t0"] < start0:
        return "down"
    if r["t0"] < back:
        return "starting"
    return "after"


def outcome(r):
    if r["status"]:
        return str(r["status"])
    return f"0 ({r.get('err')})"


by_phase = defaultdict(Counter)
latency = defaultdict(float)
for r in data:
    ph = phase(r)
    by_phase[ph][outcome(r)] += 1
    latency[ph] = max(latency[ph], r["t1"] - r["t0"])
ready_by_phase = defaultdict(Counter)
for r in ready:
    ready_by_phase[phase(r)][outcome(r)] += 1

# Recovery: the first data request answered 200 after PostgreSQL was back.
ok_after = sorted(r["t1"] for r in data if r["status"] == 200 and r["t1"] >= back)
recovered_at = ok_after[0] if ok_after else None
ready_after = sorted(r["t1"] for r in ready if r["status"] == 200 and r["t1"] >= back)
recovery_ms = None if recovered_at is None else recovered_at - back
ready_ms = None if not ready_after else ready_after[0] - back
late_failures = Counter(outcome(r) for r in data if recovered_at is not None and r["t0"] >= recovered_at
                        and r["status"] != 200)

outage = [r for r in data if phase(r) in ("stopping", "down", "starting")]
bad_outage = Counter(outcome(r) for r in outage if r["status"] not in (200, 503))
n503 = [r for r in outage if r["status"] == 503]
n503_reason = Counter(r.get("reason", "") for r in n503)
n503_retry = sum(1 for r in n503 if r.get("retry"))
bad_before = Counter(outcome(r) for r in data if phase(r) == "before" and r["status"] != 200)
timeouts = sum(1 for r in data if r.get("err") == "timeout")

# Acknowledged writes against what the database holds.
tokens = [t for t in open(a.tokens).read().split("\n") if t]
index = {hashlib.sha256(t.encode()).hexdigest(): i for i, t in enumerate(tokens)}
db = {}
for line in open(a.db):
    parts = line.strip().split("|")
    if len(parts) == 3 and parts[0] in index:
        db[index[parts[0]]] = (int(parts[1]), parts[2])
puts = [r for r in data if r["k"] == "put"]
acked = defaultdict(list)
sent = defaultdict(lambda: defaultdict(set))
for r in puts:
    sent[r["tok"]][r["ver"]].add(r["sha"])
    if r.get("acked"):
        acked[r["tok"]].append(r)
lost, newer_unacked, duplicate_acks, missing_rows = [], 0, 0, 0
for tok, writes in acked.items():
    versions = Counter(w["ver"] for w in writes)
    duplicate_acks += sum(n - 1 for n in versions.values() if n > 1)
    last = max(writes, key=lambda w: w["ver"])
    row = db.get(tok)
    if row is None:
        missing_rows += 1
        lost.append(f"user {tok}: no vault row (last acknowledged v{last['ver']})")
        continue
    version, sha = row
    if version < last["ver"]:
        lost.append(f"user {tok}: database v{version}, last acknowledged v{last['ver']}")
    elif version == last["ver"] and sha != last["sha"]:
        lost.append(f"user {tok}: v{version} holds other contents than the acknowledged write")
    elif version > last["ver"]:
        if sha in sent[tok].get(version, set()):
            newer_unacked += 1  # committed, but its answer was lost (in flight at the stop)
        else:
            lost.append(f"user {tok}: database v{version} is no write this client sent "
                        f"(last acknowledged v{last['ver']})")
acked_total = sum(len(w) for w in acked.values())
unacked_puts = sum(1 for r in puts if not r.get("acked"))

down_secs = a.down_secs
checks = {
    "load client finished": a.client_rc == 0 and bool(records),
    "server still running (never restarted)": a.server_alive == 1,
    "all 200 before the stop": not bad_before and bool(by_phase["before"]),
    "outage answered 503 only (no 500, reset or hang)": not bad_outage,
    "503s seen while PostgreSQL was down": bool(n503) or down_secs < 6,
    f"serves again within {a.recovery_bound:.0f} s of PostgreSQL answering":
        recovery_ms is not None and recovery_ms <= a.recovery_bound * 1000,
    "all 200 after recovery": recovered_at is not None and not late_failures,
    "no acknowledged write lost": not lost and duplicate_acks == 0 and acked_total > 0,
}
ok = all(checks.values())


def counts(c):
    return ", ".join(f"{k}: {v}" for k, v in sorted(c.items())) or "none"


def secs(ms):
    return "n/a" if ms is None else f"{ms / 1000:.2f} s"


order = ("before", "stopping", "down", "starting", "after")
print(f"\n===== pg_restart (cluster {a.pg}) =====")
print(f"outage           PostgreSQL stopped (-m fast) in {secs(stop1 - stop0)}, down {down_secs:.0f} s, "
      f"started in {secs(marks.get('start1', 0) - start0)}, answering {secs(back - start0)} after start")
print(f"requests         {len(data)} data requests ({len(puts)} writes), {len(ready)} /health/ready polls")
for ph in order:
    print(f"  {ph:<14} {counts(by_phase[ph])}" + (f"; slowest {latency[ph]:.0f} ms" if by_phase[ph] else "")
          + (f"; ready: {counts(ready_by_phase[ph])}" if ready_by_phase[ph] else ""))
print(f"503s             {len(n503)}: reasons {counts(n503_reason)}; with Retry-After: {n503_retry}")
print(f"not 200/503      {counts(bad_outage)} during the outage; before the stop: {counts(bad_before)}; "
      f"client timeouts (15 s): {timeouts}")
print(f"recovery         first data 200 {secs(recovery_ms)} after PostgreSQL answered, /health/ready 200 "
      f"after {secs(ready_ms)}; failures after recovery: {counts(late_failures)}")
print(f"writes           {acked_total} acknowledged on {len(acked)} vaults, {unacked_puts} not acknowledged; "
      f"lost: {len(lost)}; committed but unacknowledged (newer in database): {newer_unacked}; "
      f"duplicate acknowledgements: {duplicate_acks}")
for line in lost[:5]:
    print(f"  lost           {line}")
print(f"server log       {a.log_500:.0f} 'client API request failed' (500), "
      f"{a.log_unreachable:.0f} 'database unreachable' lines")
for name, passed in checks.items():
    print(f"check            {'ok  ' if passed else 'FAIL'} {name}")
print(f"result           {'PASS' if ok else 'FAIL'}")
print("=====")
print(json.dumps({
    "script": "pg_restart", "ok": ok, "down_secs": down_secs,
    "statuses": {ph: dict(by_phase[ph]) for ph in order},
    "ready_statuses": {ph: dict(ready_by_phase[ph]) for ph in order},
    "status_503": len(n503), "status_503_reasons": dict(n503_reason), "status_503_retry_after": n503_retry,
    "outage_not_200_503": dict(bad_outage), "timeouts": timeouts,
    "recovery_ms": recovery_ms, "ready_recovery_ms": ready_ms,
    "failures_after_recovery": dict(late_failures),
    "acked_writes": acked_total, "lost_writes": len(lost), "committed_unacked": newer_unacked,
    "duplicate_acks": duplicate_acks, "server_log_500": a.log_500,
    "failed_checks": [n for n, passed in checks.items() if not passed],
}))
sys.exit(0 if ok else 1)

#!/usr/bin/env python3
"""The summary of a schemathesis run, from its NDJSON report: operations
tested, test cases generated per phase, responses per status, and each
unique failure with the operation and check it belongs to.

Usage: summary.py NDJSON [HAR]
"""
import collections
import json
import sys


def main():
    labels = set()
    cases_by_phase = collections.Counter()
    seen_cases = set()
    failures = collections.OrderedDict()
    running_time = None
    for line in open(sys.argv[1]):
        event = json.loads(line)
        if "EngineFinished" in event:
            running_time = event["EngineFinished"].get("running_time")
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished.get("recorder", {})
        phase = finished.get("phase", "?")
        cases = recorder.get("cases", {})
        if cases:
            labels.add(recorder["label"])
        for case_id in cases:
            if (phase, case_id) not in seen_cases:
                seen_cases.add((phase, case_id))
                cases_by_phase[phase] += 1
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check.get("status") != "failure":
                    continue
                failure = check.get("failure_info", {}).get("failure", {})
                message = failure.get("message", "").strip().splitlines()
                key = (failure.get("operation", recorder.get("label")), check["name"], failure.get("code", ""),
                       message[0] if message else failure.get("title", ""))
                failures.setdefault(key, case_id)

    statuses = collections.Counter()
    if len(sys.argv) > 2:
        try:
            for entry in json.load(open(sys.argv[2]))["log"]["entries"]:
                statuses[entry["response"]["status"]] += 1
        except (OSError, ValueError, KeyError):
            pass

    total = sum(cases_by_phase.values())
    phases = ", ".join(f"{phase} {n}" for phase, n in sorted(cases_by_phase.items()))
    print(f"operations tested: {len(labels)}")
    print(f"test cases generated: {total} ({phases or 'none'})")
    if statuses:
        print("responses by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())))
    if running_time is not None:
        print(f"schemathesis running time: {running_time:.0f} s")
    print(f"unique failures: {len(failures)}")
    # Grouped by check: the operations, and a few of the messages with a case to replay.
    groups = collections.OrderedDict()
    for (operation, check, code, first), case_id in failures.items():
        group = groups.setdefault((check, code), {"operations": [], "samples": collections.OrderedDict()})
        if operation not in group["operations"]:
            group["operations"].append(operation)
        group["samples"].setdefault(first, (operation, case_id))
    for (check, code), group in groups.items():
        operations = group["operations"]
        shown = ", ".join(operations[:6]) + (f" and {len(operations) - 6} more" if len(operations) > 6 else "")
        print(f"  {check} ({code}) on {len(operations)} operation(s): {shown}")
        for first, (operation, case_id) in list(group["samples"].items())[:3]:
            print(f"      {operation}: {first} [case {case_id}]")
        if len(group["samples"]) > 3:
            print(f"      ... {len(group['samples']) - 3} other message(s)")

if __name__ == "__main__":
    main()

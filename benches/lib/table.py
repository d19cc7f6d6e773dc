#!/usr/bin/env python3
"""Turns the rows benches/run.sh collected into the Markdown table.

Usage: table.py ROWS.tsv
ROWS.tsv: one figure per line, tab-separated:
  section figure backend size ours unit baseline_name baseline goal note
`ours` and `baseline` are numbers, or words such as "skipped" or "failed";
`goal` is "higher" or "lower" (which way is better) or "-". The ratio is
ours / baseline whenever both are numbers. Notes become footnotes.
"""
import sys


def number(text):
    try:
        return float(text)
    except ValueError:
        return None


def cell(value, unit):
    if number(value) is None or not unit:
        return value
    return f"{value} {unit}"


def main():
    rows = []
    with open(sys.argv[1]) as f:
        for line in f:
            fields = line.rstrip("\n").split("\t")
            fields += [""] * (10 - len(fields))
            rows.append(fields[:10])
    # By section (the number the section starts with), in the order measured within one.
    rows.sort(key=lambda r: int(r[0].split()[0]) if r[0].split() and r[0].split()[0].isdigit() else 99)

    notes = []
    print("| # | figure | backend | size | ours | baseline (same run) | baseline value | ratio ours / baseline | better |")
    print("|---|---|---|---|---|---|---|---|---|")
    for section, figure, backend, size, ours, unit, base_name, base, goal, note in rows:
        a, b = number(ours), number(base)
        ratio = f"{a / b:.2f}" if a is not None and b else "—"
        if note:
            notes.append(note)
            figure = f"{figure} [{len(notes)}]"
        print(f"| {section} | {figure} | {backend or '—'} | {size or '—'} | {cell(ours, unit)} "
              f"| {base_name or '—'} | {cell(base, unit) if base else '—'} | {ratio} "
              f"| {goal if goal in ('higher', 'lower') else '—'} |")
    if notes:
        print()
        for i, note in enumerate(notes, 1):
            print(f"[{i}] {note}  ")


if __name__ == "__main__":
    main()

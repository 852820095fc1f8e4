#!/usr/bin/env python3
"""The SASS instructions with the most warp-stall samples in an Nsight Compute source page.

usage: ncu-top-stalls.py SASS.csv [N]   (SASS.csv from `ncu -i REPORT --page source --csv --print-source sass`)
Prints N lines (default 30): samples, share of all samples, the three largest stall reasons of the instruction
(columns named stall_* or "... Samples" by reason, whichever the ncu version writes), address and SASS text. Column
names differ between ncu versions, so they are found by substring; a missing column prints '?'.
"""
import csv
import sys


def main():
    path = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 30
    with open(path, newline="", errors="replace") as f:
        lines = f.read().splitlines()
    # ncu prints notes before the table: start at the header row (the first with an "Address" or "Source" column)
    start = next((i for i, l in enumerate(lines) if '"Address"' in l or '"Source"' in l), 0)
    rows = list(csv.reader(lines[start:]))
    if not rows:
        print("no table in", path)
        return
    head = rows[0]

    def col(*needles):
        for i, h in enumerate(head):
            if all(x.lower() in h.lower() for x in needles):
                return i
        return None

    c_all = col("Warp Stall Sampling (All")
    c_src = col("Source")
    c_addr = col("Address")
    reasons = [i for i, h in enumerate(head) if h.lower().startswith("stall_") or "stall_" in h.lower()]
    if c_all is None:
        print("no 'Warp Stall Sampling (All Samples)' column; columns:", "; ".join(head)[:800])
        return

    def num(row, i):
        try:
            return float(row[i].replace(",", "")) if i is not None and i < len(row) and row[i] else 0.0
        except ValueError:
            return 0.0

    body = [r for r in rows[1:] if len(r) > c_all]
    total = sum(num(r, c_all) for r in body) or 1.0
    print(f"{len(body)} instructions, {total:.0f} samples; reason columns: {len(reasons)}")
    for r in sorted(body, key=lambda r: -num(r, c_all))[:n]:
        top = sorted(((num(r, i), head[i]) for i in reasons), reverse=True)[:3]
        why = " ".join(f"{h.replace('stall_', '')}={v:.0f}" for v, h in top if v > 0)
        addr = r[c_addr] if c_addr is not None else "?"
        src = (r[c_src] if c_src is not None else "?").strip()[:110]
        print(f"{num(r, c_all):7.0f} {100 * num(r, c_all) / total:5.1f}% {addr} {src} | {why}")


if __name__ == "__main__":
    main()

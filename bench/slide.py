"""How long the whole-book grid takes: 129 price rows x 5 vol shifts over a
500-option book, and the ladder's column (one vol shift) over the same book.

    .venv/bin/python -m bench.slide [--options 500] [--runs 200]

Prints the median, p95 and max per computation (wall), the median CPU time of
this process (steadier than wall when other work shares the cores) and the load
average; the target (issue 14) is <= 20 ms for the grid and the ladder's columns
together, once per update per web process. Pure computation: no stack to start.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from ladder.book import book_from_rows, book_slide

TICK = 1 / 64
TARGET_MS = 20.0


def _book_rows(options: int, spot: float) -> tuple[dict[str, dict], dict[str, float]]:
    rng = random.Random(7)
    expiries = {f"E{i:02d}": 0.7 + 2.5 * i for i in range(12)}
    rows = {}
    for i in range(options):
        expiry = rng.choice(list(expiries))
        strike = round((spot + rng.uniform(-3, 3)) * 4) / 4  # quarter strikes, spot +- 3 points
        rows[str(i)] = {
            "key": f"XCME.OZN.{expiry}.{strike}.{'C' if i % 2 else 'P'}",
            "itype": "C" if i % 2 else "P",
            "strike": str(strike),
            "expiry": expiry,
            "position": rng.choice([-50, -20, -5, 5, 10, 40]),
            "greeks": {"vol": rng.uniform(3.5, 6.5)},
        }
    return rows, expiries


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--options", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    spot = 111.1640625
    rows, expiries = _book_rows(args.options, spot)
    grid_levels = [spot + TICK * k for k in range(-64, 65)]
    ladder_levels = [spot + TICK * k for k in range(-100, 101)]
    shifts = [-0.2, -0.1, 0.0, 0.1, 0.2]
    names = ("book from rows", "grid 129x5", "ladder 201x1")
    timings: dict[str, list[float]] = {name: [] for name in names}
    cpu: dict[str, list[float]] = {name: [] for name in names}
    load = os.getloadavg()[0]
    for _ in range(args.runs):
        stamps = [(time.perf_counter(), time.process_time())]
        book = book_from_rows(spot=spot, spot_rows=rows, vtexp_days=expiries)
        stamps.append((time.perf_counter(), time.process_time()))
        book_slide(book, levels=grid_levels, vol_shifts=shifts, by_expiry=True)
        stamps.append((time.perf_counter(), time.process_time()))
        book_slide(book, levels=ladder_levels)
        stamps.append((time.perf_counter(), time.process_time()))
        for i, name in enumerate(names):
            timings[name].append((stamps[i + 1][0] - stamps[i][0]) * 1000)
            cpu[name].append((stamps[i + 1][1] - stamps[i][1]) * 1000)
    print(f"whole-book maths, {args.options} options with a position, {args.runs} runs")
    print(f"load average at start {load:.2f}, at end {os.getloadavg()[0]:.2f} (2 cores here)")
    print(
        f"{'computation':<18} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'CPU median ms':>14}"
    )
    totals = [sum(parts) for parts in zip(*timings.values(), strict=True)]
    cpu_totals = [sum(parts) for parts in zip(*cpu.values(), strict=True)]
    for name, values, cpu_values in (
        *((name, timings[name], cpu[name]) for name in names),
        ("all, per update", totals, cpu_totals),
    ):
        ordered = sorted(values)
        p95 = ordered[int(0.95 * (len(ordered) - 1))]
        print(
            f"{name:<18} {statistics.median(values):>10.2f} {p95:>8.2f} {max(values):>8.2f}"
            f" {statistics.median(cpu_values):>14.2f}"
        )
    median = statistics.median(totals)
    verdict = "met" if median <= TARGET_MS else "NOT met"
    print(f"target: grid and ladder columns <= {TARGET_MS:.0f} ms per update: {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

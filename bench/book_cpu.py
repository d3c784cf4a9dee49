"""What one update costs the compute process with the whole book live: the ladder and
the risk slide recomputed as the live hub asks for them, on the fan-out bench's
``--book`` state (``bench.fanout_book``: 551 spot-risk rows, 500 options with a
position), in this process.

    .venv/bin/python -m bench.book_cpu [--updates 60]

Each update writes the rows the fan-out bench's update changes, then runs the
ladder's and the slide's computes (``ladder_compute_default``,
``slide_compute_default``) under one state mark, as the hub does. Prints the median
and p95 CPU time (``process_time``) of each; the first 10 updates are not counted
(first calls fill caches). The fan-out with the book live grows with this figure
(docs/PERFORMANCE.md, "Fan-out").
"""

from __future__ import annotations

import argparse
import os
import time

from bench import fanout_book
from bench.fanout import Bench, changed_rows
from bench.harness import Harness, run_directory
from bench.stats import fmt, percentile, table

UNCOUNTED = 10  # the first updates: first calls, caches filling
SLIDE_MOVES = 64  # the fan-out bench's slide socket (``fanout_book.SLIDE_QUERY``)
LADDER_TICKS = 40  # the page's default


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=60, help="updates counted")
    options = parser.parse_args()
    with run_directory("frgm-bench-book-cpu-") as run_dir:
        bench = Bench(run_dir, book=True)
        try:
            Harness.start(bench)  # the stack and the state; no web process
            bench.state_seed()
            ladder, slide = _measure(bench, options.updates)
        finally:
            bench.stop()
    rows = [
        (name, fmt(percentile(v, 50), 2), fmt(percentile(v, 95), 2))
        for name, v in (
            ("ladder", ladder),
            ("slide", slide),
            ("both", [a + b for a, b in zip(ladder, slide, strict=True)]),
        )
    ]
    print(
        f"compute CPU per update, {options.updates} updates after {UNCOUNTED} uncounted;"
        f" load average {os.getloadavg()[0]:.2f} (2 cores here)"
    )
    print(table(["recompute", "median ms", "p95 ms"], rows))
    return 0


def _measure(bench: Bench, updates: int) -> tuple[list[float], list[float]]:
    from ladder.hub.ladder_view import ladder_compute_default
    from ladder.hub.slide_view import slide_compute_default
    from ladder.selectors.slide import slide_moves

    moves = slide_moves(moves=SLIDE_MOVES, step=1)
    ladder: list[float] = []
    slide: list[float] = []
    for n in range(UNCOUNTED + updates):
        bench.seq += 1
        fanout_book.book_rows_write(changed_rows(bench.seq))
        mark = ("bench", n)
        began = time.process_time()
        ladder_compute_default(instrument_id=None, ticks=LADDER_TICKS, state_mark=mark)
        between = time.process_time()
        slide_compute_default(moves=moves, instrument_id=None, state_mark=mark)
        ended = time.process_time()
        if n >= UNCOUNTED:
            ladder.append((between - began) * 1000)
            slide.append((ended - between) * 1000)
    return ladder, slide


if __name__ == "__main__":
    raise SystemExit(main())

"""``python -m bench.pixel`` (``make bench-pixel``): file-to-pixel latency, push beside a poller.

Starts the whole stack (``python -m devstack``, simulator off) on free ports; for
each phase (production rate, then 10x; spot risk as 16-chunk batches and as
single files alternating, the simulator's own mix) the simulator writes files
into a folder, the real producer (``feeds.push``) PUTs them, N logged-in
websocket clients (``--clients``, default 1,000) watch the ladder, spot-risk and
ops pages of the one web process, and a client polls ``/api/ladder/`` every
second. Prints, per page, p50/p95/p99/max from each file's PUT to the first frame
that showed it in each client, what was missed, frames older than the one
before, the poller's figures and the push/poll ratio, and files lost or applied
twice (S3 PUTs against DynamoDB history). See docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.pixel.run import (
    django_setup,
    harness_stack,
    page_feeds_note,
    phase_run,
    phase_table,
    verdicts,
)
from bench.stats import cpu_model


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # the stack's finally blocks stop what it started


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="python -m bench.pixel", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=120.0, help="per phase")
    parser.add_argument("--rates", default="1,10", help="phases: multiples of production")
    parser.add_argument("--layout", default="both", choices=["both", "single", "chunked"])
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument(
        "--put-concurrency",
        type=int,
        default=None,
        help="the producer's PUTs at once for a chunk batch (1: one after another)",
    )
    parser.add_argument("--quick", action="store_true", help="50 clients, 30 s a phase")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.seconds = 50, 30.0
    rates = [float(r) for r in args.rates.split(",")]
    started = datetime.now(UTC)
    print(
        f"bench.pixel {started:%Y-%m-%d %H:%M} UTC, {cpu_model()}; {args.clients} clients, "
        f"{args.seconds:.0f} s a phase, rates {rates}, layout {args.layout}",
        flush=True,
    )
    phases = []
    with tempfile.TemporaryDirectory(prefix="frgm-pixel-") as tmp, harness_stack() as stack:
        django_setup(stack)
        for rate in rates:
            name = f"{rate:g}x"
            print(f"phase {name} ...", flush=True)
            phases.append(
                phase_run(
                    stack,
                    name=name,
                    rate=rate,
                    layout=args.layout,
                    seconds=args.seconds,
                    clients=args.clients,
                    processes=args.client_processes,
                    run_dir=Path(tmp),
                    put_concurrency=args.put_concurrency,
                )
            )
            print(phase_table(phases[-1:]), flush=True)
    print("\n" + phase_table(phases))
    print("pages show: " + page_feeds_note())
    lines = verdicts(phases)
    print("\n".join(lines))
    return 0 if all(line.startswith("met") for line in lines) else 1


if __name__ == "__main__":
    sys.exit(main())

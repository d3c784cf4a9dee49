"""``python -m bench.soak`` (``make soak``): 30 minutes at 10x production with 200 clients.

The file-to-pixel harness (``bench.pixel``) run as one long phase, sampling
every 30 s the RSS of the web and worker process trees and ``used_memory`` of
both Redis servers. Pass: no error, no file lost or applied twice (S3 PUTs
against DynamoDB history), no socket closed early, and every memory slope
(after a 2-minute warm-up) under ``--bound`` MiB a minute. Prints the slopes and
one pass/fail line. See docs/RELIABILITY.md ("Soak").
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench.pixel.memory import MemoryWatch
from bench.pixel.run import django_setup, harness_stack, phase_run, phase_table, verdicts
from bench.stats import cpu_model


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--layout", default="both", choices=["both", "single", "chunked"])
    parser.add_argument("--bound", type=float, default=1.0, help="MiB a minute, each slope")
    args = parser.parse_args(argv)
    started = datetime.now(UTC)
    print(
        f"bench.soak {started:%Y-%m-%d %H:%M} UTC, {cpu_model()}; {args.minutes:g} min at "
        f"{args.rate:g}x, {args.clients} clients, layout {args.layout}",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="frgm-soak-") as tmp, harness_stack() as stack:
        django_setup(stack)
        procs = stack.processes()
        watch = MemoryWatch(
            pids={name: int(procs[name]["pid"]) for name in ("web", "worker")},
            redis_ports={"state Redis": stack.state_port, "messaging Redis": stack.messaging_port},
        )
        phase = phase_run(
            stack,
            name=f"soak {args.rate:g}x",
            rate=args.rate,
            layout=args.layout,
            seconds=args.minutes * 60,
            clients=args.clients,
            processes=2,
            run_dir=Path(tmp),
            during=watch,
        )
    print("\n" + phase_table([phase]))
    print("\n".join(verdicts([phase])))
    flat = True
    print(f"memory slopes after {watch.warmup_s:.0f} s warm-up (bound < {args.bound:g} MiB/min):")
    for name, (slope, first, last) in watch.slopes().items():
        ok = slope is not None and slope < args.bound
        flat = flat and ok
        shown = "n/a" if slope is None else f"{slope:+.3f}"
        print(
            f"  {name:<24} {shown:>8} MiB/min  ({first:.1f} -> {last:.1f} MiB)  "
            f"{'ok' if ok else 'NOT ok'}"
        )
    errors = phase.errors or phase.lost or phase.twice or phase.not_announced
    passed = flat and not errors and not phase.closed_early and not phase.connect_failures
    print(
        f"{'PASS' if passed else 'FAIL'}: soak {args.minutes:g} min at {args.rate:g}x, "
        f"{phase.files_put} files, lost {len(phase.lost)}, twice {len(phase.twice)}, "
        f"errors {len(phase.errors)}, closed early {phase.closed_early}, memory "
        f"{'flat' if flat else 'NOT flat'}"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's command line."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Options:
    parse_runs: int
    files: int
    in_flight: list[int]
    rates: list[float]
    duration_s: float
    spot_share: float
    seed: int
    profile: bool
    keep: bool
    quick: bool
    json_out: Path | None


def options_parse(argv: Sequence[str] | None = None) -> Options:
    from bench import ingest

    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(ingest.__doc__ or "").split("\n")[0]
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="short run: fewer files, 5 s phases")
    add("--parse-runs", type=int, help="parse repetitions (default 500; quick 200)")
    add("--files", type=int, help="files per throughput run (default 240; quick 60)")
    add("--in-flight", default="1,4,8", help="consumer in_flight values, e.g. 1,4,8")
    add("--rates", default="1,10", help="steady upload rates in files/s, e.g. 1,10")
    add("--duration", type=float, help="seconds per steady rate (default 30; quick 5)")
    parser.add_argument("--spot-share", type=float, default=0.6, help="share of spot-risk files")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the one-file-at-a-time phase under cProfile and print the hot spots",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this JSON file")
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        parse_runs=args.parse_runs or (200 if quick else 500),
        files=args.files or (60 if quick else 240),
        in_flight=[int(v) for v in args.in_flight.split(",") if v.strip()],
        rates=[float(v) for v in args.rates.split(",") if v.strip()],
        duration_s=args.duration or (5.0 if quick else 30.0),
        spot_share=args.spot_share,
        seed=args.seed,
        profile=args.profile,
        keep=args.keep,
        quick=quick,
        json_out=args.json,
    )

"""``python -m feeds.push --watch DIR --bucket NAME``: the feed server's uploader.

Credentials and region come from the usual AWS places (environment, profile,
instance role); ``--endpoint-url`` points at moto's server locally. Stops
cleanly on Ctrl-C or SIGTERM; a kill -9 loses nothing (see ``spool.py``).
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from feeds.push.producer import PUT_CONCURRENCY, Producer, producer_run
from feeds.push.s3 import s3_client
from feeds.push.spool import Spool


def parser_build() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m feeds.push", description=__doc__)
    parser.add_argument("--watch", type=Path, required=True, help="folder the feed server writes")
    parser.add_argument("--bucket", required=True, help="the feed bucket (a stack output)")
    parser.add_argument(
        "--spool", type=Path, help="spool and journal folder (default: DIR/.frgm-spool)"
    )
    parser.add_argument("--endpoint-url", default=None, help="S3 endpoint (moto locally)")
    parser.add_argument("--region", default=None)
    parser.add_argument("--settle", type=float, default=0.5, help="seconds a file must not change")
    parser.add_argument(
        "--put-concurrency",
        type=int,
        default=1,
        choices=range(1, PUT_CONCURRENCY + 1),
        metavar=f"1..{PUT_CONCURRENCY}",
        help="a spot-risk chunk batch's PUTs at once (default 1: one after another)",
    )
    parser.add_argument("--report-every", type=float, default=60.0, help="backlog line period (s)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser_build().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    # EMF lines are bare JSON on stdout, where a log agent (CloudWatch's) picks them up.
    emf = logging.getLogger("frgm.emf")
    emf.propagate = False
    emf.addHandler(logging.StreamHandler(sys.stdout))
    if not args.watch.is_dir():
        print(f"--watch {args.watch}: no such folder")
        return 2
    spool = Spool(args.spool or args.watch / ".frgm-spool")
    producer = Producer(
        watch=args.watch,
        spool=spool,
        s3=s3_client(endpoint_url=args.endpoint_url, region=args.region),
        bucket=args.bucket,
        settle_s=args.settle,
        put_concurrency=args.put_concurrency,
    )
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        producer_run(producer, stop=stop, report_every_s=args.report_every)
    finally:
        spool.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

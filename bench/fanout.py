"""``make bench-fanout``: websocket fan-out of one web process to 100, 500 and 1,000 clients.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server), a SQLite database in a temporary
directory (migrated, one trader, one session per client), and a real uvicorn
web process exactly as the Procfile runs it (``--ws-per-message-deflate
false``). Then, for each client count:

1. N logged-in websocket clients (``websockets``, in two client processes so
   the measuring side is not the bottleneck) open ``/ws/spot-risk/`` and read
   their snapshot;
2. after ``--warmup`` updates (2) that the clients receive but do not time, the
   bench publishes 2 spot-risk updates a second (6 changed rows each, the size
   of a real file's change: deltas of ~1 KB) for ``--seconds`` through the real
   publish path (``feeds.publish``), stamping each with the publish time;
3. every client notes when each delta arrives: latency = receive - publish,
   plus missing frames (sequence gaps), out-of-order frames and resyncs;
4. the web process's CPU (from /proc/<pid>/stat) and RSS (/proc/<pid>/status).

``--quick`` is a short smoke run; ``--book`` keeps a ladder and a risk-slide socket
open beside the clients, so the hub recomputes the whole book on every update
(``bench.fanout_book``). See docs/PERFORMANCE.md ("Fan-out").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from bench import fanout_book
from bench.clients import (
    CONNECT_CONCURRENCY,
    ClientResult,
    results_merge,
    ws_client_process,
    ws_clients,
)
from bench.harness import QUIET, Harness, nofile_raise, run_directory
from bench.stats import (
    cpu_model,
    fmt,
    machine_busy_s,
    percentile,
    rss_mib,
    table,
    tree_cpu_s,
    tree_rss_mib,
)
from devstack.standins import Stack

# The client pieces moved to bench.clients; their old names here still work.
_client_process = ws_client_process
_clients = ws_clients
_merge = results_merge
_rss_mib = rss_mib
__all__ = ["CONNECT_CONCURRENCY", "Bench", "ClientResult", "main", "report", "step"]

TARGET_P99_MS = 250.0
CLIENT_PROCESSES = int(os.environ.get("FRGM_BENCH_CLIENT_PROCESSES", "2"))
# Published before the timed updates of each step: a process's first recompute pays
# first-call costs (the compute process's first ladder: 42 ms of CPU, not 15), and
# with 20 timed updates one slow update alone is the p99.
WARMUP_UPDATES = 2
STATE_ROWS = 150  # the spot-risk state the snapshot carries
CHANGED_ROWS = 6  # rows one update changes
GROUP = "AUG25"


# --- results --------------------------------------------------------------------------


@dataclass
class Step:
    clients: int
    connect_s: float
    published: int
    result: ClientResult
    cpu_pct: float | None
    rss_mib: float | None
    frame_bytes: int
    machine_pct: float | None = None  # every core, every process (clients included)
    client_cpu_s: float | None = None  # the client processes, connect to close


# --- the stack, the database and the web process ---------------------------------------


class Bench(Harness):
    """The harness, a spot-risk state of ``STATE_ROWS`` rows, a web process; ``publish``
    sends one update through the real publish path."""

    def __init__(self, run_dir: Path, *, book: bool = False, book_state: bool = False) -> None:
        super().__init__(run_dir, env=QUIET)
        self.book = book  # the whole book live beside the clients (``bench.fanout_book``)
        # the book's state (500 options in the spot-risk rows) without its views: what
        # ``--book`` is compared with, so only the live ladder and slide differ
        self.book_state = book or book_state
        self.seq = 0
        self.children_cpu_s = 0.0  # CPU of the client processes reaped so far

    def start(self, *, migrate: bool = True) -> Stack:
        stack = super().start(migrate=migrate)
        self.state_seed()
        self.web_start(ws=os.environ.get("FRGM_BENCH_WS", "auto"))
        return stack

    def state_seed(self) -> None:
        from feeds.records import Feed
        from feeds.state_store import key
        from lib.redis_clients import state_store

        store = state_store()
        rows: dict[Any, Any] = {row_id: json.dumps(row) for row_id, row in _rows(0).items()}
        store.hset(key(Feed.SPOT_RISK, "rows"), mapping=rows)
        store.hset(
            key(Feed.SPOT_RISK, "meta"), mapping=cast(Any, {"version": "bench|0", "meta": "{}"})
        )
        if self.book_state:
            fanout_book.book_state_seed(expiries={GROUP: 3.832639, fanout_book.EXTRA_EXPIRY: 24.5})

    def publish(self) -> int:
        """One spot-risk update through feeds.publish; returns the frame's size estimate."""
        from feeds.publish import updates_build, updates_publish

        self.seq += 1
        changed = changed_rows(self.seq)
        if self.book_state:
            fanout_book.book_rows_write(changed)
        updates = updates_build(
            feed="spot-risk",
            changes={GROUP: changed},
            sequences={GROUP: self.seq},
            version=f"bench|{self.seq:08d}",
            key=f"actant/spot-risk/bench/{self.seq}.csv",
            file_time=None,
            s3_event_time=None,
            ingested_at=time.time(),  # the publish time: the clients measure from it
        )
        updates_publish(updates)
        return len(json.dumps(changed))


def changed_rows(seq: int) -> dict[str, dict[str, Any]]:
    """The ``CHANGED_ROWS`` rows update ``seq`` changes, at their new figures."""
    return {
        row_id: row
        for i, (row_id, row) in enumerate(_rows(seq).items())
        if (i + seq) % (STATE_ROWS // CHANGED_ROWS) == 0
    }


def _rows(version: int) -> dict[str, dict[str, Any]]:
    """The bench's spot-risk state: options of one expiry with prices that move."""
    rows = {}
    for i in range(STATE_ROWS):
        strike = 105 + i * 0.25
        itype = "C" if i % 2 == 0 else "P"
        key = f"XCME.OZN.{GROUP}.{strike:.2f}.{itype}"
        bump = (version % 7) / 64
        rows[key] = {
            "key": key,
            "itype": itype,
            "product": "OZN",
            "expiry": GROUP,
            "strike": f"{strike:.2f}",
            "bid": f"{0.5 + bump:.6f}",
            "ask": f"{0.515625 + bump:.6f}",
            "theo": f"{0.5078125 + bump:.7f}",
            "iv_bid": f"{4.1 + version % 5 / 10:.4f}",
            "iv_ask": f"{4.3 + version % 5 / 10:.4f}",
            "iv_avg": f"{4.2 + version % 5 / 10:.4f}",
            "position": i % 3,
            "greeks": {
                "vol": 4.2 + version % 5 / 10,
                "delta": 0.5 - i / 1000 + version % 3 / 100,
                "gamma": 0.12,
                "vega": 0.05 + version % 4 / 1000,
                "theta": -0.01,
            },
        }
    return rows


# --- a step -----------------------------------------------------------------------------


def step(bench: Bench, clients: int, seconds: float, rate: float, warmup: int = 0) -> Step:
    assert bench.web is not None
    ctx = multiprocessing.get_context("fork")
    cookies = bench.sessions(clients)
    url = f"ws://127.0.0.1:{bench.port}/ws/spot-risk/"
    origin = f"http://127.0.0.1:{bench.port}"
    ready = [ctx.Event() for _ in range(CLIENT_PROCESSES)]
    start, stop = ctx.Event(), ctx.Event()
    out = ctx.Queue()
    share = -(-clients // CLIENT_PROCESSES)
    processes = []
    watchers = None
    if bench.book:
        [watcher_cookie] = bench.sessions(1)
        watchers = ctx.Process(
            target=fanout_book.book_watchers,
            args=(f"ws://127.0.0.1:{bench.port}", origin, watcher_cookie, stop, out),
            daemon=True,
        )
        watchers.start()
    began = time.monotonic()
    for n in range(CLIENT_PROCESSES):
        part = cookies[n * share : (n + 1) * share]
        if not part:
            ready[n].set()
            continue
        proc = ctx.Process(
            target=ws_client_process,
            args=(url, origin, part, ready[n], start, stop, out, n * share),
            daemon=True,
        )
        proc.start()
        processes.append(proc)
    for event in ready:
        if not event.wait(timeout=180):
            raise RuntimeError("clients did not connect within 180 s")
    connect_s = time.monotonic() - began
    for _ in range(warmup):  # received and checked for gaps, not timed (``--warmup``)
        bench.publish()
        time.sleep(1.0 / rate)
    time.sleep(1.0)  # let the snapshots (and the warm-up frames) drain

    cpu_before = tree_cpu_s(bench.web.pid)  # with its compute process
    busy_before = machine_busy_s()
    wall_before = time.monotonic()
    start.set()
    published = 0
    frame_bytes = 0
    interval = 1.0 / rate
    next_at = time.monotonic()
    end = next_at + seconds
    while next_at < end:
        time.sleep(max(0.0, next_at - time.monotonic()))
        frame_bytes = bench.publish()
        published += 1
        next_at += interval
    time.sleep(1.0)  # the last frames arrive
    cpu_after = tree_cpu_s(bench.web.pid)
    busy_after = machine_busy_s()
    wall = time.monotonic() - wall_before
    rss = tree_rss_mib(bench.web.pid)
    stop.set()
    received = [out.get(timeout=60) for _ in range(len(processes) + (watchers is not None))]
    results = [r for r in received if isinstance(r, ClientResult)]
    if watchers is not None:  # the watchers put {view: deltas received}
        book = [r for r in received if isinstance(r, dict)]
        print(f"    book views live beside them, deltas received: {book}", flush=True)
        watchers.join(timeout=10)
    for proc in processes:
        proc.join(timeout=10)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu_s = children.ru_utime + children.ru_stime - bench.children_cpu_s
    bench.children_cpu_s += client_cpu_s
    cpu_pct = (
        None
        if cpu_before is None or cpu_after is None
        else round((cpu_after - cpu_before) / wall * 100, 1)
    )
    machine_pct = (
        None
        if busy_before is None or busy_after is None
        else round((busy_after - busy_before) / wall * 100 / (os.cpu_count() or 1), 1)
    )
    time.sleep(0.5)  # the server notices the closes before the next step
    return Step(
        clients,
        connect_s,
        published,
        results_merge(results),
        cpu_pct,
        rss,
        frame_bytes,
        machine_pct,
        round(client_cpu_s, 1),
    )


def _missing(step_: Step) -> int:
    """Deltas a client should have had (its snapshot to the view's last frame) but did not."""
    result = step_.result
    if not result.first_seq:
        return 0
    final = max([*result.last_seq.values(), *result.first_seq.values()])
    expected = sum(final - first for first in result.first_seq.values())
    return max(0, expected - result.deltas)


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="100,500,1000", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="publishing time per step")
    parser.add_argument("--rate", type=float, default=2.0, help="updates per second")
    parser.add_argument(
        "--warmup",
        type=int,
        default=WARMUP_UPDATES,
        help="updates published before the timed ones, per step",
    )
    parser.add_argument("--quick", action="store_true", help="50 clients for 3 s")
    parser.add_argument("--verbose", action="store_true", help="latency of every frame")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument(
        "--book", action="store_true", help="a ladder and a slide socket live beside the clients"
    )
    parser.add_argument(
        "--book-state",
        action="store_true",
        help="the book's state (a 500-option spot risk) without the ladder and slide sockets",
    )
    options = parser.parse_args(argv)
    counts = [50] if options.quick else [int(c) for c in options.clients.split(",")]
    seconds = 3.0 if options.quick else options.seconds

    nofile_raise(max(counts) * 2 + 1024)
    steps: list[Step] = []
    with run_directory("frgm-bench-fanout-", keep=options.keep) as run_dir:
        bench = Bench(run_dir, book=options.book, book_state=options.book_state)
        try:
            print(f"starting the stack and a uvicorn web process in {run_dir} ...", flush=True)
            bench.start()
            for count in counts:
                print(f"  {count} clients ...", flush=True)
                steps.append(step(bench, count, seconds, options.rate, options.warmup))
        finally:
            bench.stop()
    print()
    print(report(steps, seconds=seconds, rate=options.rate))
    if options.verbose:
        for s in steps:
            print(f"\n{s.clients} clients, per frame: seq  p50  max (ms)")
            for seq, values in sorted(s.result.by_seq.items()):
                print(f"  {seq:4d} {percentile(values, 50):7.1f} {max(values):7.1f}")
    worst = steps[-1]
    ok = (
        (percentile(worst.result.latencies_ms, 99) or 0) <= TARGET_P99_MS
        and _missing(worst) == 0
        and worst.result.resyncs == 0
        and worst.result.connect_failures == 0
    )
    print(
        f"\ntarget p99 <= {TARGET_P99_MS:.0f} ms with nothing dropped at {worst.clients} clients: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0


def report(steps: list[Step], *, seconds: float, rate: float) -> str:
    rows = []
    for s in steps:
        r = s.result
        rows.append(
            [
                s.clients,
                fmt(s.connect_s, 1),
                s.published,
                r.deltas,
                r.delta_bytes // r.deltas if r.deltas else "-",
                fmt(percentile(r.hub_ms, 99)),
                fmt(percentile(r.latencies_ms, 50)),
                fmt(percentile(r.latencies_ms, 99)),
                fmt(max(r.latencies_ms) if r.latencies_ms else None),
                _missing(s),
                r.out_of_order,
                r.resyncs,
                r.connect_failures + r.closed_early,
                fmt(s.cpu_pct),
                fmt(s.rss_mib),
                fmt(s.machine_pct),
                fmt(s.client_cpu_s),
            ]
        )
    head = (
        f"websocket fan-out: one uvicorn web process (--ws-per-message-deflate false), "
        f"/ws/spot-risk/, {rate:g} updates/s for {seconds:g} s per step, "
        f"{CHANGED_ROWS} changed rows per update, {CLIENT_PROCESSES} client processes; "
        f"{os.cpu_count()} x {cpu_model()}"
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "clients",
                "connect s",
                "published",
                "deltas recv",
                "delta B",
                "hub p99 ms",
                "p50 ms",
                "p99 ms",
                "max ms",
                "missing",
                "out-of-order",
                "resyncs",
                "conn errors",
                "web CPU %",
                "web RSS MiB",
                "machine CPU %",
                "client CPU s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    sys.exit(main())

"""One harness run: the whole stack, the feed, the clients, the poller; phases at
given rates; the table. ``bench.soak`` runs it long, sampling memory."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.drills.stack import Stack, load_average, stack_port, stack_running
from bench.harness import session_cookies
from bench.pixel.clients import ClientFleet, Poller, Socket
from bench.pixel.feed import FeedRun, FileListener
from bench.pixel.measure import (
    PAGE_FEEDS,
    BatchSpread,
    Landed,
    PageResult,
    batch_spreads,
    ingest_result,
    poll_result,
    unchanged_reuploads,
)
from bench.stats import fmt, table

BUCKET = "frgm-feed-local"
HISTORY_TABLE = "frgm-history"
TARGETS_MS = {1.0: 150.0}  # production; anything faster: 250 ms
PUSH_AHEAD = 5.0  # push must beat the poller at p99 by this factor
POLLED_FEEDS = frozenset({"tt-positions", "tt-orders", "spot-risk", "tt-instruments"})


def target_ms(rate: float) -> float:
    return TARGETS_MS.get(rate, 250.0)


@contextlib.contextmanager
def harness_stack() -> Iterator[Stack]:
    """``make run``'s stack without its simulator: the harness is the feed server."""
    os.environ["FRGM_SIMULATE"] = "0"
    os.environ.setdefault("FRGM_LOG_LEVEL", "WARNING")
    with stack_running(port=stack_port()) as stack:
        yield stack


def django_setup(stack: Stack) -> None:
    os.environ.update(
        {k: v for k, v in stack.env.items() if k.startswith(("FRGM_", "DATABASE_", "AWS_"))}
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
    # moto's stand-in takes any credentials; the producer finds them where boto3 looks
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        os.environ.setdefault(name, value)
    import django

    django.setup()


def sessions(username: str, role: str, count: int) -> list[str]:
    """``count`` logged-in sessions of ``username`` (a session per socket, as browsers)."""
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    return session_cookies(user, count)


def sockets_plan(clients: int) -> list[Socket]:
    """Half the clients on the ladder, half on spot risk, a few on-call on the ops page."""
    ops = max(1, min(10, clients // 20))
    ladder = (clients - ops) // 2
    spot = clients - ops - ladder
    trader = sessions("pixel-trader", "trader", ladder + spot)
    oncall = sessions("pixel-oncall", "oncall", ops)
    return (
        [Socket("ladder", c) for c in trader[:ladder]]
        + [Socket("spot-risk", c) for c in trader[ladder:]]
        + [Socket("ops", c) for c in oncall]
    )


def history_uploads(stack: Stack) -> dict[str, int]:
    """History snapshot items per upload ``key#version`` (metrics items not counted)."""
    counts: dict[str, int] = {}
    pages = (
        stack.aws("dynamodb")
        .get_paginator("scan")
        .paginate(TableName=HISTORY_TABLE, ProjectionExpression="pk, sk")
    )
    for page in pages:
        for item in page.get("Items", []):
            if item["pk"]["S"].startswith("metrics#"):
                continue
            upload = item["sk"]["S"].split("#", 1)[1]
            counts[upload] = counts.get(upload, 0) + 1
    return counts


@dataclass
class Phase:
    name: str
    rate: float
    layout: str
    seconds: float
    files_put: int = 0
    written: int = 0
    pages: dict[str, PageResult] = field(default_factory=dict)
    poller: PageResult | None = None
    ingest: PageResult | None = None
    poll_get_ms: list[float] = field(default_factory=list)
    poll_errors: int = 0
    not_announced: list[str] = field(default_factory=list)  # PUT, never ingested
    announced_twice: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)  # PUT, no history item
    # PUT again with the bytes an earlier version holds in history (the simulator's
    # instrument file at a phase's start): a duplicate the worker applied nothing for
    unchanged: list[str] = field(default_factory=list)
    twice: list[str] = field(default_factory=list)  # more than one history item
    connect_failures: int = 0
    closed_early: int = 0
    errors: list[str] = field(default_factory=list)
    load: str = ""
    batches: list[BatchSpread] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)  # % of one core over the feed
    put_ms: list[float] = field(default_factory=list)  # each PUT's own duration
    heard_ms: list[float] = field(default_factory=list)  # ingested -> the listener heard it


def phase_run(
    stack: Stack,
    *,
    name: str,
    rate: float,
    layout: str,
    seconds: float,
    clients: int,
    processes: int,
    run_dir: Path,
    during: Callable[[float], None] | None = None,
    put_concurrency: int | None = None,
) -> Phase:
    """One phase: fresh clients, the feed at ``rate`` for ``seconds``, then the match."""
    phase = Phase(name, rate, layout, seconds)
    listener = FileListener(stack.env["FRGM_MESSAGING_REDIS_URL"])
    listener.start()
    fleet = ClientFleet(
        base_ws=stack.base.replace("http://", "ws://"),
        origin=stack.base,
        sockets=sockets_plan(clients),
        processes=processes,
    )
    fleet.wait_ready(timeout_s=300)
    poller = Poller(base=stack.base, cookie=sessions("pixel-poller", "trader", 1)[0])
    poller.start()
    feed = FeedRun(
        watch=run_dir / f"feed-{name}",
        endpoint=stack.aws_endpoint,
        bucket=BUCKET,
        rate=rate,
        layout=layout,  # type: ignore[arg-type]
        span_s=seconds,
    )
    if put_concurrency is not None:
        feed.put_concurrency = put_concurrency
    feed.start()
    started = time.monotonic()
    cpu_before = cpu_sample(stack, fleet)
    while time.monotonic() - started < seconds:
        time.sleep(1.0)
        if during is not None:
            during(time.monotonic() - started)
    phase.cpu = cpu_percent(cpu_before, cpu_sample(stack, fleet), time.monotonic() - started)
    feed.stop(drain_s=30)
    time.sleep(3.0)  # the last files through the worker and the hub
    settle_until = time.monotonic() + 60
    puts = feed.puts
    while time.monotonic() < settle_until and any(p.key not in listener.files for p in puts):
        time.sleep(0.5)
    time.sleep(1.5)  # their frames
    poller.stop()
    listener.stop()
    phase.load = load_average()
    phase.files_put, phase.written, phase.errors = len(puts), feed.written, feed.errors
    files: list[Landed] = []
    for put in puts:
        told = listener.files.get(put.key, [])
        if not told:
            phase.not_announced.append(put.key)
            continue
        if len(told) > 1:
            phase.announced_twice.append(put.key)
        phase.heard_ms.append((told[0]["heard_at"] - told[0]["ingested_at"]) * 1000)
        files.append(
            Landed(
                put.key, told[0]["feed"], put.started, told[0]["ingested_at"], told[0]["file_time"]
            )
        )
    phase.ingest = ingest_result(files)
    phase.batches = batch_spreads(files)
    phase.put_ms = [(p.done - p.started) * 1000 for p in puts]
    phase.pages, failures, phase.closed_early = fleet.finish(files)
    phase.connect_failures = fleet.connect_failures + failures
    last_poll = poller.log.answers[-1][0] if poller.log.answers else 0.0
    polled = [f for f in files if f.put_at < last_poll - 1.0]
    phase.poller = poll_result(poller.log, polled, POLLED_FEEDS)
    phase.poll_get_ms, phase.poll_errors = poller.get_ms, poller.errors
    if poller.last_error:
        phase.errors.append(f"poller: {poller.errors} failed GETs, the last: {poller.last_error}")
    history = history_uploads(stack)
    uploads = {f"{p.key}#{p.version}" for p in puts}
    missing = sorted(u for u in uploads if history.get(u, 0) == 0)
    phase.unchanged = unchanged_reuploads(missing, history, upload_etags(stack, missing))
    phase.lost = sorted(set(missing) - set(phase.unchanged))
    unchanged_keys = {u.rsplit("#", 1)[0] for u in phase.unchanged}
    phase.not_announced = [k for k in phase.not_announced if k not in unchanged_keys]
    phase.twice = sorted(u for u in uploads if history.get(u, 0) > 1)
    return phase


def upload_etags(stack: Stack, uploads: list[str]) -> dict[str, str]:
    """Every S3 version of the uploads' keys, ``key#version`` -> ETag."""
    s3 = stack.aws("s3")
    etags: dict[str, str] = {}
    for key in sorted({u.rsplit("#", 1)[0] for u in uploads}):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=BUCKET, Prefix=key):
            for version in page.get("Versions", []):
                if version["Key"] == key:
                    etags[f"{key}#{version['VersionId']}"] = version["ETag"]
    return etags


def cpu_sample(stack: Stack, fleet: ClientFleet) -> dict[str, float]:
    """CPU seconds so far: the stack's processes (with their children), moto, the
    client processes, the whole machine (everything on it, other work too)."""
    from bench.stats import machine_busy_s, process_cpu_s, tree_cpu_s

    pids = {name: info.get("pid") for name, info in stack.processes().items()}
    found = subprocess.run(
        ["pgrep", "-f", f"moto.server -H 127.0.0.1 -p {stack.port + 3}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    pids["moto"] = int(found.stdout.split()[0]) if found.stdout.split() else None
    sample = {name: tree_cpu_s(pid) for name, pid in pids.items() if pid}
    sample["clients"] = sum(process_cpu_s(p.pid) or 0.0 for p in fleet.processes if p.pid)
    sample["machine"] = machine_busy_s()
    return {name: value for name, value in sample.items() if value is not None}


def cpu_percent(
    before: dict[str, float], after: dict[str, float], wall_s: float
) -> dict[str, float]:
    return {
        name: 100 * (after[name] - before[name]) / wall_s
        for name in after
        if name in before and wall_s > 0
    }


def _ms(value: float | None) -> str:
    return fmt(value, 1)


def phase_table(phases: list[Phase]) -> str:
    rows: list[list[object]] = []
    for phase in phases:
        results: list[PageResult] = [*phase.pages.values()]
        results += [r for r in (phase.poller, phase.ingest) if r is not None]
        for result in results:
            rows.append(
                [
                    phase.name,
                    result.page,
                    result.sockets,
                    result.count,
                    result.missed,
                    _ms(result.percentile(50)),
                    _ms(result.percentile(95)),
                    _ms(result.percentile(99)),
                    _ms(result.percentile(100)),
                    _ms(result.hub_percentile(50)),
                    _ms(result.hub_percentile(99)),
                    _ms(result.wire_percentile(50)),
                    _ms(result.wire_percentile(99)),
                    result.gaps,
                    result.backwards,
                    result.older,
                ]
            )
    return table(
        [
            "phase",
            "page",
            "sockets",
            "file x socket",
            "missed",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "hub p50",
            "hub p99",
            "wire p50",
            "wire p99",
            "gaps",
            "seq back",
            "older",
        ],
        rows,
    )


def verdicts(phases: list[Phase]) -> list[str]:
    """One line per target: met or not, with the figure."""
    lines = []
    for phase in phases:
        target = target_ms(phase.rate)
        for page, result in phase.pages.items():
            p99 = result.percentile(99)
            ok = p99 is not None and p99 <= target and not result.missed
            lines.append(
                f"{'met' if ok else 'NOT met':8} {phase.name} {page}: p99 {_ms(p99)} ms "
                f"(target <= {target:.0f}), missed {result.missed}, older frames {result.older}"
            )
        push, poll = phase.pages.get("ladder"), phase.poller
        if push and poll and push.count and poll.count:
            r50 = (poll.percentile(50) or 0) / max(push.percentile(50) or 0, 0.1)
            r99 = (poll.percentile(99) or 0) / max(push.percentile(99) or 0, 0.1)
            lines.append(
                f"{'met' if r99 >= PUSH_AHEAD else 'NOT met':8} {phase.name} push/poll ratio "
                f"(poller latency / ladder push latency): p50 {r50:.1f}x, p99 {r99:.1f}x "
                f"(target p99 >= {PUSH_AHEAD:.0f}x)"
            )
        lines.append(
            f"{'met' if not (phase.lost or phase.twice or phase.not_announced) else 'NOT met':8} "
            f"{phase.name} files: {phase.files_put} PUT, lost {len(phase.lost)}, "
            f"applied twice {len(phase.twice)}, never announced {len(phase.not_announced)}, "
            f"announced twice {len(phase.announced_twice)}, re-uploaded unchanged "
            f"{len(phase.unchanged)} (a duplicate: history keeps the first); connect failures "
            f"{phase.connect_failures}, sockets closed early {phase.closed_early}; "
            f"poll GET p50 {_ms(_pct(phase.poll_get_ms, 50))} ms, errors {phase.poll_errors}; "
            f"load {phase.load}"
        )
        lines.append(f"note     {phase.name}: {spread_line(phase)}")
        cpu = ", ".join(f"{name} {value:.0f} %" for name, value in sorted(phase.cpu.items()))
        lines.append(f"note     {phase.name}: CPU (% of one core) over the feed: {cpu}")
        lines.extend(f"note     {phase.name}: {error}" for error in phase.errors[:5])
        lines.extend(
            f"note     {phase.name}: never announced {key}" for key in phase.not_announced[:5]
        )
    return lines


def spread_line(phase: Phase) -> str:
    """Each PUT's own time, and how far apart a chunk batch's chunks were PUT and
    ingested (a page showing a batch at once waits for its last chunk)."""
    batches = phase.batches
    put_spread = [b.put_spread_ms for b in batches]
    ingest_spread = [b.ingest_spread_ms for b in batches]
    whole = [b.whole_ms for b in batches]
    return (
        f"PUT p50 {_ms(_pct(phase.put_ms, 50))} / p99 {_ms(_pct(phase.put_ms, 99))} ms; "
        f"ingested -> heard by the harness's listener p50 {_ms(_pct(phase.heard_ms, 50))} / "
        f"p99 {_ms(_pct(phase.heard_ms, 99))} ms; "
        f"{len(batches)} chunk batches: PUT spread p50 {_ms(_pct(put_spread, 50))} / "
        f"p99 {_ms(_pct(put_spread, 99))} ms, ingested spread p50 "
        f"{_ms(_pct(ingest_spread, 50))} / p99 {_ms(_pct(ingest_spread, 99))} ms, first PUT "
        f"-> last ingested p50 {_ms(_pct(whole, 50))} / p99 {_ms(_pct(whole, 99))} ms"
    )


def _pct(values: list[float], pct: float) -> float | None:
    from bench.stats import percentile

    return percentile(values, pct)


def page_feeds_note() -> str:
    return "; ".join(f"{page}: {', '.join(sorted(feeds))}" for page, feeds in PAGE_FEEDS.items())

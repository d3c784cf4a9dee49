"""The run loop: start the stack, run the phases, print the report, stop everything."""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from bench.ingest.feed_files import FileSource
from bench.ingest.figures import latencies
from bench.ingest.latency import bench_latency
from bench.ingest.machine import machine_report, pairs_text
from bench.ingest.options import Options, options_parse
from bench.ingest.parse import ParseResult, bench_parse
from bench.ingest.phase import Phase
from bench.ingest.raw import raw
from bench.ingest.report import report
from bench.ingest.serial import Serial, bench_serial
from bench.ingest.sqs_queue import IngestBroken, drain, notification_consumer
from bench.ingest.stack import Bench
from bench.ingest.targets import DEFAULT_IN_FLIGHT
from bench.ingest.throughput import bench_throughput
from bench.stats import fmt, load_average, percentile


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(text: str) -> None:
    print(text, flush=True)


def run(opts: Options) -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="frgm-bench-ingest-"))
    bench = Bench(run_dir)
    parses: list[ParseResult] = []
    parse_load: Phase | None = None
    serial: Serial | None = None
    throughput: list[Phase] = []
    latency: list[Phase] = []
    began = time.monotonic()
    interrupted = False
    try:
        with _terminate_as_interrupt():
            _say(f"starting a private stack (run directory {run_dir}) ...")
            bench.start()
            machine = machine_report(bench)
            _say(pairs_text(machine))
            _heap_as_the_worker_has_it()
            start = datetime.now(UTC) - timedelta(hours=3)
            _say(f"1/4 parse + validate, {opts.parse_runs} runs ...")
            cpu_before, began_parse = bench.cpu(), time.perf_counter()
            parses = bench_parse(opts, start)
            parse_load = Phase(label="parse", files=0, wall_s=time.perf_counter() - began_parse)
            cpu_after = bench.cpu()
            parse_load.cpu_s = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
            source = FileSource(seed=opts.seed, start=start, spot_share=opts.spot_share)
            _say("    warm-up: instrument, vtexp and a few files, unmeasured ...")
            drain(bench, source.preamble + source.take(12))
            for in_flight in opts.in_flight:
                _say(f"2/4 throughput: {opts.files} files, in_flight={in_flight} ...")
                phase = bench_throughput(bench, source, in_flight, opts.files)
                throughput.append(phase)
                _say(f"    {phase.files_per_s:.1f} files/s in {phase.wall_s:.2f} s")
            count = min(opts.files, 30 if opts.quick else 80)
            _say(f"3/4 one file at a time: {count} files, CPU per stage ...")
            serial = bench_serial(bench, source, count, profile=opts.profile)
            _say(f"    {serial.phase.files_per_s:.1f} files/s serial")
            bench.consumer = notification_consumer(DEFAULT_IN_FLIGHT, 2)
            bench.consumer.start()
            for rate in opts.rates:
                _say(f"4/4 latency: {rate:g} files/s for {opts.duration_s:g} s ...")
                phase = bench_latency(bench, source, rate, opts.duration_s)
                latency.append(phase)
                e2e = latencies(phase)["event_to_published"]
                _say(f"    p50 {fmt(percentile(e2e, 50))} ms, p99 {fmt(percentile(e2e, 99))} ms")
            bench.consumer.stop()
            bench.consumer = None
            text, _checks = report(opts, machine, parses, throughput, latency, serial, parse_load)
            _say("")
            _say(text)
            if bench.listener.poll() is not None:
                _say(
                    f"\nWARNING: the web stand-in exited early (code {bench.listener.returncode}); "
                    f"its columns are incomplete. See {run_dir}/listener.log (kept)."
                )
                opts.keep = True
            _say(
                f"\n(total run time {time.monotonic() - began:.0f} s; load average at end "
                f"{load_average()})"
            )
            if serial.profile:
                _say("\n" + serial.profile)
            if opts.json_out:
                opts.json_out.write_text(
                    json.dumps(
                        raw(machine, parses, [*throughput, serial.phase], latency),
                        indent=2,
                        default=str,
                    )
                )
            return 0
    except KeyboardInterrupt:
        _say("\ninterrupted: stopping the stack")
        interrupted = True
        return 130
    except IngestBroken as exc:
        _say(f"\nFAILED: {exc}\n(the worker log is kept in {run_dir}/worker.log)")
        opts.keep = True
        return 1
    except RuntimeError as exc:  # a server that would not start, a queue that stayed empty
        _say(f"\nFAILED: {exc}\n(logs are kept in {run_dir})")
        opts.keep = True
        return 1
    finally:
        bench.stop(interrupted=interrupted)
        if opts.keep:
            _say(f"run directory kept: {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def _heap_as_the_worker_has_it() -> None:
    """The worker settles its start-up heap before it takes a file
    (frgm_site/celery.py); the measured code runs here, so this does too."""
    import feeds.sqs_consumer  # noqa: F401 - what the worker has imported by then
    from lib.heap import heap_settle

    heap_settle()


def main(argv: Sequence[str] | None = None) -> int:
    return run(options_parse(argv))

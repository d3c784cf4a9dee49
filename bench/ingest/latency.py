"""Phase 4: end-to-end latency at a steady upload rate, a stand-in feed server uploading."""

from __future__ import annotations

import json
import time

from bench.ingest.feed_files import FileSource
from bench.ingest.phase import Phase, collect
from bench.ingest.sqs_queue import wait_done
from bench.ingest.stack import Bench


def bench_latency(bench: Bench, source: FileSource, rate: float, duration_s: float) -> Phase:
    from django.conf import settings

    count = max(1, round(rate * duration_s))
    files = source.take(count)
    folder = bench.run_dir / f"upload-{rate:g}"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for n, item in enumerate(files):
        path = folder / f"{n:05d}"
        path.write_bytes(item.body)
        manifest.append({"key": item.key, "path": str(path), "content_type": item.content_type})
    manifest_path = folder / "manifest.json"
    manifest_path.write_text(
        json.dumps(
            {
                "endpoint": bench.stack.aws_url,
                "bucket": settings.FRGM_FEED_BUCKET,
                "rate": rate,
                "files": manifest,
            }
        )
    )
    phase = Phase(label=f"{rate:g} files/s", files=count, rate=rate)
    bench.recorder.reset(count)
    out = folder / "puts.jsonl"
    cpu_before = bench.cpu()
    started = time.perf_counter()
    uploader = bench.child("bench.uploader", str(manifest_path), str(out))
    uploader.wait(timeout=duration_s * 3 + 60)
    if uploader.returncode != 0:
        raise RuntimeError(f"the uploader failed ({uploader.returncode}); see uploader.log")
    phase.complete = wait_done(bench.recorder, 30)
    phase.wall_s = time.perf_counter() - started
    cpu_after = bench.cpu()
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    time.sleep(0.3)  # the listener writes the last arrivals
    collect(bench, phase)
    for text in out.read_text().splitlines():
        put = json.loads(text)
        phase.puts[put["key"]] = put
    for text in bench.listener_out.read_text().splitlines():
        key, _, arrived = text.partition("\t")
        if key in phase.puts:
            phase.listened[key] = float(arrived)
    return phase

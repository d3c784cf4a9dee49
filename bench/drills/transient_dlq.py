"""Drill: a transient failure on one file: its retries, the DLQ, a redrive that ingests it.

While the drill's own positions files flow, one more file is made to fail
transiently: the drill holds its claim in the state store (as a worker that
hung mid-file on another host would, for longer than the retries last), so
every worker that receives it gets "being ingested by another worker" and puts
it back (2, 4, 8, 15, 30 s). After ``FRGM_FEED_MAX_RECEIVES`` receives SQS moves
it to the DLQ. The drill then lets the claim go (the stuck worker is gone) and
runs ``manage.py dlq_redrive`` (inline: it prints what it moved), as on-call would.

Printed: the retries the worker logged for that file, the DLQ's depth before,
when the file arrived there and after the redrive, the history items of that
file before and after, the other files (lost / twice), and the RTO: from the
redrive until the file is in history and on on-call's feed page.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from bench.drills.stack import (
    BUCKET,
    POSITIONS,
    ROOT,
    DrillResult,
    Stack,
    SteadyPutter,
    drill_key,
    files_count,
    history_counts,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)
from feeds.s3_events import ObjectEvent
from feeds.state_store import key as state_key

NAME = "transient failure -> DLQ -> redrive"
FEED = "tt-positions"
STUCK_CLAIM_S = 300  # longer than the retries: the file must reach the DLQ


def _dlq_depth(stack: Stack) -> int:
    sqs = stack.aws("sqs")
    url = sqs.get_queue_url(QueueName="frgm-feed-events-dlq")["QueueUrl"]
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]) + int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _retries_logged(stack: Stack, key: str) -> list[str]:
    """The worker's "will retry in N s (receive k of 5)" lines for ``key``."""
    log = (stack.run_dir / "devstack.log").read_text(errors="replace")
    return [
        found[0]
        for line in log.splitlines()
        if key in line and (found := re.search(r"will retry in \d+ s \(receive \d+ of \d+\)", line))
    ]


def _claim_keys(key: str, *, version: str, etag: str) -> list[str]:
    """The claim the pipeline takes for this upload. Its object id is the S3 version
    when the notification names one, else the ETag (moto's names none): both held."""
    keys = []
    for version_id, tag in ((version, None), (None, etag)):
        event = ObjectEvent(
            bucket=BUCKET, key=key, version_id=version_id, etag=tag, size=None,
            sequencer="", event_time=None, event_name="ObjectCreated:Put",
        )  # fmt: skip
        keys.append(state_key(FEED, "claim", event.object_id))
    return keys


def _stuck_file_put(stack: Stack, store: redis.Redis, key: str) -> tuple[str, list[str]]:
    """Put ``key`` with the worker paused, so its claim is held before any worker looks;
    its S3 version and the claim keys held."""
    worker = int(stack.processes()["worker"]["pid"])
    os.kill(worker, signal.SIGSTOP)
    try:
        reply = stack.aws("s3").put_object(
            Bucket=BUCKET, Key=key, Body=POSITIONS.read_bytes(), ContentType="application/json"
        )
        version, etag = str(reply.get("VersionId") or ""), str(reply["ETag"]).strip('"')
        claims = _claim_keys(key, version=version, etag=etag)
        for claim in claims:
            store.set(claim, "drill: a hung worker", ex=STUCK_CLAIM_S)
    finally:
        os.kill(worker, signal.SIGCONT)
    return version, claims


def _redrive(stack: Stack) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "dlq_redrive"],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"dlq_redrive failed: {done.stderr[-2000:]}")
    return done.stdout


def drill_run(*, port: int = 8660, every_s: float = 1.0) -> DrillResult:
    store = redis.Redis(host="127.0.0.1", port=port + 1, socket_timeout=5)
    try:
        with stack_running(port=port) as stack:
            trader, oncall = stack.browser("trader"), stack.browser("oncall")
            wait_or_exit(
                lambda: trader.get("/api/spot-risk/")[0] == 200,
                within_s=90,
                what="simulated spot risk",
            )
            depth_before = _dlq_depth(stack)
            with SteadyPutter(stack, files=110, every_s=every_s) as putter:
                putter.wait_put(3)
                # Named just before the flow's files: a file time no other drill file has.
                key = drill_key(putter.base, -1)
                version, claims = _stuck_file_put(stack, store, key)
                upload = f"{key}#{version}"
                dead_s = wait_for(lambda: _dlq_depth(stack) > depth_before, within_s=150)
                retries = _retries_logged(stack, key)
                history_before = history_counts(stack, {upload}).get(upload, 0)
                store.delete(*claims)  # the hung worker is gone
                redrive_at = time.monotonic()
                said = _redrive(stack)
                depth_after = _dlq_depth(stack)
                in_history = wait_for(
                    lambda: history_counts(stack, {upload}).get(upload, 0) > 0, within_s=60
                )
                in_history_s = None if in_history is None else time.monotonic() - redrive_at
                served_s = wait_for(
                    lambda: Path(key).name in oncall.get(f"/ops/feeds/{FEED}/")[1], within_s=30
                )
                served_s = None if served_s is None else time.monotonic() - redrive_at
            history_after = history_counts(stack, {upload}).get(upload, 0)
            count = files_count(stack, putter)
    finally:
        store.close()
    moved = re.search(r"moved (\d+) message", said, re.IGNORECASE)
    rto = None if in_history_s is None or served_s is None else max(in_history_s, served_s)
    notes = [
        f"one positions file ({Path(key).name}) failing transiently: its claim held "
        f"{STUCK_CLAIM_S} s by a 'hung worker'; {count.put} other files put one every "
        f"{every_s:.0f} s meanwhile",
        f"retries the worker logged for it: {len(retries)} ({'; '.join(retries)})",
        f"in the DLQ {seconds(dead_s)} after its PUT (DLQ depth {depth_before} before; "
        f"history items for it then: {history_before})",
        f"manage.py dlq_redrive: moved {moved[1] if moved else '?'}; DLQ depth after "
        f"{depth_after}; the file in history {seconds(in_history_s)} and on the ops feed page "
        f"{seconds(served_s)} after the redrive; history items for it: {history_after}",
        "the other files: " + count.note(),
    ]
    ok_counts = history_after == 1 and dead_s is not None and len(retries) >= 4
    return DrillResult(
        name=NAME,
        rto_s=rto,
        rpo_s=len(count.lost) * every_s if history_after == 1 else None,
        notes=notes,
        checks_ok=ok_counts and not count.twice and not putter.errors,
    )

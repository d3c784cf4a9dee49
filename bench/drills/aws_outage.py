"""Drill: the AWS stand-in frozen for 30 s while the feed server's producer uploads.

Runs the producer (``python -m feeds.push``, as the feed server runs it) on a
folder of its own and writes a positions file into it every ``every_s``
throughout. After ``before_s`` it SIGSTOPs moto's server (S3, SQS, DynamoDB:
everything AWS stops answering, connections hang until the producer's 5 s
timeout, as when the feed server's link to AWS drops) for ``outage_s``, then
SIGCONTs it. moto keeps its data only in memory, so it is frozen rather than
killed: a restarted moto would come back empty, unlike S3.

Measured: files lost (written, never in DynamoDB history), applied twice (more
than one history item for a key: the producer must not PUT a file twice, since
each PUT is a new S3 version), the order the producer sent them in (its
journal), the catch-up (from the thaw until every file written so far is in
history) and the RTO: from the thaw until a file written during the outage is
on on-call's feed page. RPO: the span of the files lost.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bench.drills.stack import (
    BUCKET,
    POSITIONS,
    ROOT,
    Browser,
    DrillResult,
    Stack,
    drill_base,
    drill_key,
    history_uploads,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)

NAME = "AWS stand-in frozen 30 s, producer on"


def moto_pid(stack: Stack) -> int:
    """moto's server of this stack (its command line names the port)."""
    pattern = f"moto.server -H 127.0.0.1 -p {stack.port + 3}"
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True, check=False)
    pids = found.stdout.split()
    if not pids:
        raise SystemExit(f"no moto server on port {stack.port + 3}")
    return int(pids[0])


def history_by_key(stack: Stack, keys: set[str]) -> dict[str, int]:
    """History snapshot items per object key in ``keys`` (whatever their S3 version)."""
    by_key = (upload.split("#", 1)[0] for upload in history_uploads(stack))
    return dict(Counter(key for key in by_key if key in keys))


@dataclass
class FolderWriter:
    """Writes positions files into the producer's folder, one every ``every_s``."""

    folder: Path
    files: int
    every_s: float
    base: datetime = field(default_factory=drill_base)
    written_at: dict[int, float] = field(default_factory=dict)
    keys: dict[int, str] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        body = POSITIONS.read_bytes()
        start = time.monotonic()
        for n in range(self.files):
            if self._stop.is_set():
                return
            key = drill_key(self.base, n)
            (self.folder / Path(key).name).write_bytes(body)
            self.written_at[n] = time.monotonic()
            self.keys[n] = key
            self._stop.wait(max(0.0, start + (n + 1) * self.every_s - time.monotonic()))

    def __enter__(self) -> FolderWriter:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def finish(self) -> None:
        self._thread.join(timeout=self.files * self.every_s + 30)

    def written_before(self, moment: float) -> set[str]:
        return {self.keys[n] for n, at in list(self.written_at.items()) if at <= moment}

    def written_after(self, moment: float) -> list[str]:
        return [self.keys[n] for n, at in sorted(self.written_at.items()) if at > moment]


@dataclass
class Journal:
    """What the producer's own journal says once it has stopped."""

    rows: list[tuple[int, str, str, int, float | None]]  # seq, key, state, attempts, sent_at

    @classmethod
    def read(cls, spool: Path) -> Journal:
        db = sqlite3.connect(f"file:{spool / 'journal.sqlite3'}?mode=ro", uri=True)
        try:
            rows = db.execute(
                "SELECT seq, key, state, attempts, sent_at FROM files ORDER BY seq"
            ).fetchall()
        finally:
            db.close()
        return cls(rows=rows)

    def in_order(self) -> bool:
        """Each file reached S3 no earlier than the one accepted before it."""
        sent = [at for *_, at in self.rows if at is not None]
        return all(a <= b for a, b in itertools.pairwise(sent))

    def waiting(self) -> int:
        return sum(1 for row in self.rows if row[2] != "sent")

    def most_attempts(self) -> int:
        return max((row[3] for row in self.rows), default=0)


def backlog_at(spool: Path) -> int:
    """Files the producer holds but S3 has not confirmed, read beside it (WAL)."""
    with contextlib.closing(
        sqlite3.connect(f"file:{spool / 'journal.sqlite3'}?mode=ro", uri=True, timeout=5)
    ) as db:
        return int(db.execute("SELECT COUNT(*) FROM files WHERE state != 'sent'").fetchone()[0])


@contextlib.contextmanager
def producer_running(
    stack: Stack, folder: Path, spool: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "feeds.push", "--watch", str(folder), "--bucket", BUCKET,
             "--spool", str(spool), "--endpoint-url", stack.aws_endpoint, "--region", "us-east-1",
             "--report-every", "5"],
            cwd=ROOT, env=stack.env | {"AWS_ACCESS_KEY_ID": "local",
                                       "AWS_SECRET_ACCESS_KEY": "local"},
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _served(browser: Browser, keys: list[str]) -> bool:
    page = browser.get("/ops/feeds/tt-positions/")[1]
    return any(Path(key).name in page for key in keys)


def _both_timed(
    first: Callable[[], bool], second: Callable[[], bool], *, within_s: float
) -> tuple[float | None, float | None]:
    """Seconds until each check is first true (None: not within ``within_s``)."""
    start = time.monotonic()
    times: list[float | None] = [None, None]
    while time.monotonic() - start < within_s and None in times:
        for i, check in enumerate((first, second)):
            if times[i] is None and check():
                times[i] = time.monotonic() - start
        time.sleep(0.25)
    return times[0], times[1]


def drill_run(
    *,
    port: int = 8640,
    outage_s: float = 30.0,
    every_s: float = 0.5,
    before_s: float = 10.0,
    after_s: float = 15.0,
) -> DrillResult:
    files = int((before_s + outage_s + after_s) / every_s)
    with stack_running(port=port) as stack:
        trader, oncall = stack.browser("trader"), stack.browser("oncall")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        folder, spool = stack.run_dir / "feed-out", stack.run_dir / "producer-spool"
        folder.mkdir()
        moto = moto_pid(stack)
        with (
            producer_running(stack, folder, spool, stack.run_dir / "producer.log"),
            FolderWriter(folder=folder, files=files, every_s=every_s) as writer,
        ):
            time.sleep(before_s)
            os.kill(moto, signal.SIGSTOP)
            frozen_at = time.monotonic()
            try:
                time.sleep(outage_s)
            finally:
                os.kill(moto, signal.SIGCONT)
            thawed_at = time.monotonic()
            spooled = backlog_at(spool)
            during = writer.written_after(frozen_at)
            before_thaw = writer.written_before(thawed_at)
            served_s, caught_up_s = _both_timed(
                lambda: _served(oncall, during),
                lambda: len(history_by_key(stack, before_thaw)) >= len(before_thaw),
                within_s=120,
            )
            writer.finish()
            every_key = set(writer.keys.values())
            settled_s = wait_for(
                lambda: len(history_by_key(stack, every_key)) >= len(every_key),
                within_s=90,
                every_s=2.0,
            )
        counts = history_by_key(stack, every_key)
        journal = Journal.read(spool)
        log = (stack.run_dir / "producer.log").read_text(errors="replace")
    lost = sorted(k for k in every_key if counts.get(k, 0) == 0)
    twice = sorted(k for k, c in counts.items() if c > 1)
    in_frozen = sum(1 for n, at in writer.written_at.items() if frozen_at < at <= thawed_at)
    notes = [
        f"{len(every_key)} positions files written into the producer's folder, one every "
        f"{every_s:.1f} s; moto SIGSTOPped {before_s:.0f} s in for {thawed_at - frozen_at:.1f} s "
        f"({in_frozen} files written meanwhile); {spooled} in the producer's spool at the thaw",
        f"files lost: {len(lost)} of {len(every_key)}; applied twice: {len(twice)} "
        f"(history items per key: {sorted(set(counts.values())) or '-'}); all in history "
        + (f"{settled_s:.1f} s after the last write" if settled_s is not None else "NEVER (90 s)"),
        f"caught up (every file written before the thaw in history) {seconds(caught_up_s)} after "
        f"the thaw; a file written during the outage on the ops feed page {seconds(served_s)} "
        f"after the thaw",
        f"producer journal: {len(journal.rows)} files, sent in the order accepted: "
        f"{'yes' if journal.in_order() else 'NO'}; most attempts for one file: "
        f"{journal.most_attempts()}; still waiting: {journal.waiting()}",
        "producer said: "
        + "; ".join(
            line.split(" ", 3)[-1][:100]
            for line in log.splitlines()
            if "refused" in line or "reachable again" in line
        )[:400],
    ]
    if lost:
        notes.append("lost: " + ", ".join(Path(k).name for k in lost[:5]))
    return DrillResult(
        name=NAME,
        rto_s=served_s,
        rpo_s=len(lost) * every_s,
        notes=notes,
        checks_ok=not twice and journal.in_order() and journal.waiting() == 0,
    )

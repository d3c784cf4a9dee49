"""The feed server's producer: every complete file reaches its S3 key once, in
order, with a checksum S3 checks, through an S3 outage and through kill -9."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from devstack.processes import free_port, moto_start
from devstack.standins import Stack
from feeds.push.producer import Producer, backoff_s
from feeds.push.s3 import s3_client
from feeds.push.spool import Spool, sha256_b64

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SPOT = SAMPLES / "actant" / "bav_analysis_20250721_203007.csv"
SPOT_KEY = "actant/spot-risk/2025-07-22/bav_analysis_20250721_203007.csv"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def creds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


def _bucket(s3) -> str:  # type: ignore[no-untyped-def]
    name = f"push-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def s3(local_stack: Stack, creds: None):  # type: ignore[no-untyped-def]
    return s3_client(endpoint_url=local_stack.aws_url, region="us-east-1")


@pytest.fixture
def spool(tmp_path: Path) -> Iterator[Spool]:
    spool = Spool(tmp_path / "spool")
    yield spool
    spool.close()


def _producer(tmp_path: Path, spool: Spool, s3, bucket: str, clock: Clock, **options) -> Producer:  # type: ignore[no-untyped-def]
    watch = tmp_path / "watch"
    watch.mkdir(exist_ok=True)
    return Producer(
        watch=watch, spool=spool, s3=s3, bucket=bucket, settle_s=0.5, clock=clock, **options
    )


def _versions(s3, bucket: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts: dict[str, int] = {}
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for version in page.get("Versions", []):
            counts[version["Key"]] = counts.get(version["Key"], 0) + 1
    return counts


def test_a_complete_file_reaches_its_key_with_a_checksum(tmp_path, spool, s3) -> None:
    clock, bucket = Clock(), _bucket(s3)
    producer = _producer(tmp_path, spool, s3, bucket, clock)
    shutil.copy(SPOT, producer.watch / SPOT.name)
    producer.scan()
    clock.now += 0.6
    assert producer.scan() == 1
    assert producer.drain() == 1
    head = s3.head_object(Bucket=bucket, Key=SPOT_KEY, ChecksumMode="ENABLED")
    assert head["ContentLength"] == SPOT.stat().st_size
    # The checksum of the file as the feed server wrote it travels with the PUT: S3
    # refuses the object (BadDigest) if the bytes it got differ. (moto stores the
    # checksum without checking it, so the refusal itself is S3's to prove.)
    assert head["ChecksumSHA256"] == sha256_b64(SPOT.read_bytes())
    assert spool.backlog().files == 0
    assert not list(spool.files.iterdir())  # the spool copy is gone once in S3


def test_a_file_still_growing_waits_until_it_stops_changing(tmp_path, spool, s3) -> None:
    clock, bucket = Clock(), _bucket(s3)
    producer = _producer(tmp_path, spool, s3, bucket, clock)
    target = producer.watch / SPOT.name
    data = SPOT.read_bytes()
    target.write_bytes(data[:1000])
    producer.scan()
    clock.now += 0.6
    with target.open("ab") as more:
        more.write(data[1000:])
    assert producer.scan() == 0  # it changed since the last look
    clock.now += 0.3
    assert producer.scan() == 0  # not settled yet
    clock.now += 0.3
    assert producer.scan() == 1
    producer.drain()
    body = s3.get_object(Bucket=bucket, Key=SPOT_KEY)["Body"].read()
    assert body == data


def test_a_put_that_got_through_before_a_crash_is_not_sent_again(tmp_path, spool, s3) -> None:
    clock, bucket = Clock(), _bucket(s3)
    producer = _producer(tmp_path, spool, s3, bucket, clock)
    shutil.copy(SPOT, producer.watch / SPOT.name)
    producer.scan()
    clock.now += 0.6
    producer.scan()
    (item,) = spool.waiting()
    # The crash: marked sending, the PUT reached S3, the journal never heard back.
    spool.sending(item.seq)
    s3.put_object(
        Bucket=bucket,
        Key=item.key,
        Body=item.path.read_bytes(),
        ChecksumAlgorithm="SHA256",
        ChecksumSHA256=item.sha256_b64,
    )
    restarted = Producer(watch=producer.watch, spool=spool, s3=s3, bucket=bucket, clock=clock)
    assert restarted.drain() == 1
    assert _versions(s3, bucket) == {SPOT_KEY: 1}


def test_an_s3_outage_spools_files_then_drains_them_in_order(tmp_path, spool, creds) -> None:
    port = free_port()  # nothing listens here yet: S3 is unreachable
    s3 = s3_client(endpoint_url=f"http://127.0.0.1:{port}", region="us-east-1")
    clock = Clock()
    producer = _producer(tmp_path, spool, s3, "frgm-feed-outage", clock)
    start = datetime(2025, 7, 21, 20, 30, tzinfo=UTC)
    names = [
        f"positions_{(start + timedelta(seconds=i)).strftime('%Y%m%d_%H%M%S')}.json"
        for i in range(5)
    ]
    body = (SAMPLES / "tt" / "positions_response.json").read_bytes()
    for name in names:
        (producer.watch / name).write_bytes(body)
    producer.scan()
    clock.now += 0.6
    assert producer.scan() == 5
    assert producer.drain() == 0
    assert spool.backlog().files == 5
    first_pause = producer._retry_at - clock.now
    assert 0.25 <= first_pause <= 0.5  # backoff with jitter, then longer

    server = moto_start(port=port, log_dir=tmp_path)
    try:
        s3.create_bucket(Bucket="frgm-feed-outage")
        clock.now += 31
        assert producer.drain() == 5
        sent = spool.sent_keys()
        assert [key.rsplit("/", 1)[1] for key in sent] == names  # in the order they came
        assert len(_versions(s3, "frgm-feed-outage")) == 5
    finally:
        server.stop()


class _Watched:
    """The real S3 client, each PUT held ``hold_s`` (a far-away S3) and timed; the
    keys in ``refuse`` are refused once (an S3 error moto cannot be made to give)."""

    def __init__(self, real, *, hold_s: float, refuse: frozenset[str] = frozenset()) -> None:  # type: ignore[no-untyped-def]
        self.real, self.hold_s, self.refuse = real, hold_s, set(refuse)
        self.spans: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def put_object(self, **kwargs):  # type: ignore[no-untyped-def]
        began = time.monotonic()
        time.sleep(self.hold_s)
        with self._lock:
            refused = kwargs["Key"] in self.refuse
            self.refuse.discard(kwargs["Key"])
        if refused:
            raise ClientError({"Error": {"Code": "SlowDown", "Message": "refused"}}, "PutObject")
        answer = self.real.put_object(**kwargs)
        self.spans[kwargs["Key"]] = (began, time.monotonic())
        return answer

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        return getattr(self.real, name)


def _batch_and_after(watch: Path) -> tuple[list[str], str]:
    """A 16-chunk spot-risk batch and a positions file after it, in the folder."""
    body = SPOT.read_bytes()
    chunks = [f"bav_analysis_20250721_203007_chunk_{n:02d}_of_16.csv" for n in range(1, 17)]
    for name in chunks:
        (watch / name).write_bytes(body)
    after = "positions_20250721_203008.json"
    (watch / after).write_bytes((SAMPLES / "tt" / "positions_response.json").read_bytes())
    return chunks, after


def test_a_chunk_batch_goes_up_at_once_and_the_next_file_after_all_of_it(
    tmp_path, spool, s3
) -> None:
    clock, bucket = Clock(), _bucket(s3)
    watched = _Watched(s3, hold_s=0.1)
    producer = _producer(tmp_path, spool, watched, bucket, clock, put_concurrency=16)
    chunks, after = _batch_and_after(producer.watch)
    producer.scan()
    clock.now += 0.6
    assert producer.scan() == 17
    started = time.monotonic()
    assert producer.drain() == 17
    # sixteen 0.1 s PUTs one after another would take 1.6 s: the batch is one moment
    assert time.monotonic() - started < 0.9
    spans = {key.rsplit("/", 1)[1]: span for key, span in watched.spans.items()}
    # one after another, the last chunk's PUT would begin 1.5 s after the first's (a
    # busy test run has taken 0.33 s to start sixteen threads)
    assert max(spans[c][0] for c in chunks) - min(spans[c][0] for c in chunks) < 0.75
    assert spans[after][0] >= max(spans[c][1] for c in chunks)  # order kept between files
    assert set(_versions(s3, bucket).values()) == {1}
    assert len(_versions(s3, bucket)) == 17


def test_a_chunk_s3_refused_is_sent_again_alone_before_anything_after_its_batch(
    tmp_path, spool, s3
) -> None:
    clock, bucket = Clock(), _bucket(s3)
    refused = "actant/spot-risk/2025-07-22/bav_analysis_20250721_203007_chunk_05_of_16.csv"
    watched = _Watched(s3, hold_s=0.0, refuse=frozenset({refused}))
    producer = _producer(tmp_path, spool, watched, bucket, clock, put_concurrency=16)
    _, after = _batch_and_after(producer.watch)
    producer.scan()
    clock.now += 0.6
    producer.scan()
    assert producer.drain() == 15  # the batch's other chunks; the positions file waits
    waiting = [item.key.rsplit("/", 1)[1] for item in spool.waiting()]
    assert waiting == [refused.rsplit("/", 1)[1], after]
    clock.now += 1.0  # past the backoff
    assert producer.drain() == 2
    spans = {key.rsplit("/", 1)[1]: span for key, span in watched.spans.items()}
    assert spans[after][0] >= spans[waiting[0]][1]
    versions = _versions(s3, bucket)
    assert len(versions) == 17
    assert set(versions.values()) == {1}  # the 15 that got through were not sent twice


def test_backoff_grows_and_is_jittered() -> None:
    assert backoff_s(1, rand=lambda: 0.0) == 0.25
    assert backoff_s(1, rand=lambda: 1.0) == 0.5
    assert backoff_s(4, rand=lambda: 1.0) == 4.0
    assert backoff_s(20, rand=lambda: 1.0) == 30.0


def test_the_backlog_is_reported_as_a_line_and_a_metric(tmp_path, spool, s3, caplog) -> None:
    clock, bucket = Clock(), _bucket(s3)
    producer = _producer(tmp_path, spool, s3, bucket, clock)
    shutil.copy(SPOT, producer.watch / SPOT.name)
    producer.scan()
    clock.now += 0.6
    producer.scan()
    caplog.set_level("INFO")
    caplog.set_level("INFO", logger="frgm.emf")
    emf_logger = logging.getLogger("frgm.emf")  # it does not propagate under Django
    emf_logger.addHandler(caplog.handler)
    try:
        line = producer.backlog_report()
    finally:
        emf_logger.removeHandler(caplog.handler)
    assert line.startswith("push: backlog 1 file(s), oldest ")
    emf = [r.getMessage() for r in caplog.records if r.name == "frgm.emf"]
    assert '"ProducerBacklogFiles":1' in emf[-1]
    assert '"Namespace":"FRGM/Producer"' in emf[-1]


@pytest.mark.slow
def test_kill_9_in_the_middle_loses_nothing_and_sends_nothing_twice(
    tmp_path, local_stack, s3
) -> None:
    bucket = _bucket(s3)
    watch = tmp_path / "watch"
    watch.mkdir()
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "PYTHONPATH": str(Path(__file__).resolve().parents[3]),
    }
    argv = [
        sys.executable, "-m", "feeds.push", "--watch", str(watch), "--bucket", bucket,
        "--endpoint-url", local_stack.aws_url, "--region", "us-east-1", "--settle", "0.2",
        "--spool", str(tmp_path / "spool"),
    ]  # fmt: skip
    body = (SAMPLES / "tt" / "positions_response.json").read_bytes()
    start = datetime(2025, 7, 21, 20, 0, tzinfo=UTC)
    names: list[str] = []
    process = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
    try:
        for i in range(60):
            name = f"positions_{(start + timedelta(seconds=i)).strftime('%Y%m%d_%H%M%S')}.json"
            (watch / name).write_bytes(body)
            names.append(name)
            time.sleep(0.05)
            if i % 15 == 14:  # kill -9 mid-stream, then restart, three times
                process.send_signal(signal.SIGKILL)
                process.wait()
                process = subprocess.Popen(argv, env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_versions(s3, bucket)) < len(names):
            time.sleep(0.2)
    finally:
        process.terminate()
        process.wait(timeout=10)
    versions = _versions(s3, bucket)
    assert sorted(k.rsplit("/", 1)[1] for k in versions) == names  # nothing lost
    assert set(versions.values()) == {1}  # nothing twice

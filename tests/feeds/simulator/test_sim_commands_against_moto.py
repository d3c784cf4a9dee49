"""simulate_feed and feed_put against moto's S3 server, started in-process on a free port."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from moto.server import ThreadedMotoServer

from devstack.processes import free_port
from feeds.feed_keys import CHICAGO
from feeds.management.commands.simulate_feed import feed_simulate
from feeds.simulator import Simulator, SimulatorConfig
from lib.aws import client, clients_reset

DATA = Path(__file__).parent / "data"
REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def bucket(moto_url: str, settings) -> Iterator[str]:
    name = f"sim-{uuid.uuid4().hex[:12]}"
    settings.AWS_ENDPOINT_URL = moto_url
    settings.FRGM_FEED_BUCKET = name
    clients_reset()
    client("s3").create_bucket(Bucket=name)
    client("s3").put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    yield name
    clients_reset()


def keys_in(bucket: str) -> list[str]:
    listed = client("s3").list_objects_v2(Bucket=bucket).get("Contents", [])
    return sorted(item["Key"] for item in listed)


def test_simulate_feed_once_uploads_the_first_round_and_logs_each_put(bucket, caplog) -> None:
    caplog.set_level(logging.INFO, logger="feeds.management.commands.simulate_feed")
    call_command("simulate_feed", "--once", "--seed", "5", "--layout", "single")
    keys = keys_in(bucket)
    assert [k.split("/")[1] for k in keys] == [
        "spot-risk",
        "vtexp",
        "instruments",
        "orders",
        "positions",
    ]
    head = client("s3").head_object(Bucket=bucket, Key=next(k for k in keys if k.endswith(".csv")))
    assert head["ContentType"] == "text/csv"
    puts = [r.getMessage() for r in caplog.records if r.getMessage().startswith("put ")]
    assert len(puts) == 5
    assert all(" bytes)" in line for line in puts)


def test_simulate_feed_runs_for_its_duration_at_production_cadence(bucket) -> None:
    call_command("simulate_feed", "--duration", "3", "--seed", "5", "--layout", "chunked")
    positions = [k for k in keys_in(bucket) if k.startswith("tt/positions/")]
    assert 2 <= len(positions) <= 4


def test_feed_put_uploads_a_sample_under_its_derived_key(bucket) -> None:
    out = StringIO()
    call_command("feed_put", str(DATA / "bav_analysis_20250721_203007.csv"), stdout=out)
    key = "actant/spot-risk/2025-07-22/bav_analysis_20250721_203007.csv"
    assert keys_in(bucket) == [key]
    assert out.getvalue().startswith(f"s3://{bucket}/{key} version ")
    body = client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body == (DATA / "bav_analysis_20250721_203007.csv").read_bytes()


def test_feed_put_keys_instrument_details_by_the_id_inside(bucket) -> None:
    call_command("feed_put", str(DATA / "instrument_details_zn_jun25.json"), stdout=StringIO())
    assert keys_in(bucket) == ["tt/instruments/instrument_4877721789746411490.json"]


def test_feed_put_takes_an_explicit_key(bucket) -> None:
    call_command(
        "feed_put", str(DATA / "positions_response.json"), "--key", "tt/x.json", stdout=StringIO()
    )
    assert keys_in(bucket) == ["tt/x.json"]


def test_feed_put_refuses_a_missing_file(bucket, tmp_path) -> None:
    with pytest.raises(CommandError, match="cannot read"):
        call_command("feed_put", str(tmp_path / "vtexp_20250721_203256.csv"))


def test_feed_put_refuses_a_name_it_cannot_place(bucket, tmp_path) -> None:
    stray = tmp_path / "notes.txt"
    stray.write_text("hello")
    with pytest.raises(CommandError, match=r"cannot place 'notes\.txt'.*--key"):
        call_command("feed_put", str(stray))


def test_an_unreachable_bucket_is_logged_and_retried_until_stopped(settings, caplog) -> None:
    settings.AWS_ENDPOINT_URL = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.AWS_TIMEOUT_S = 0.5
    clients_reset()
    caplog.set_level(logging.INFO)
    stop = threading.Event()
    simulator = Simulator(
        seed=1, now=lambda: datetime.now(tz=CHICAGO), config=SimulatorConfig(spot_risk_rows=20)
    )
    result: list[int] = []
    worker = threading.Thread(
        target=lambda: result.append(
            feed_simulate(
                simulator=simulator, bucket="nowhere", stop=stop, once=False, duration_s=None
            )
        )
    )
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while (
            not any(r.levelname == "ERROR" for r in caplog.records) and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        assert any("cannot upload to s3://nowhere" in r.getMessage() for r in caplog.records)
    finally:
        stop.set()
        worker.join(timeout=30)
        clients_reset()
    assert not worker.is_alive()
    assert result == [0]


def test_sigterm_stops_the_simulator_cleanly_with_exit_code_0(bucket, moto_url) -> None:
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": moto_url,
        "FRGM_FEED_BUCKET": bucket,
        "FRGM_LOG_FORMAT": "text",
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", "simulate_feed", "--seed", "2"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 60
        for line in process.stdout:
            if "put " in line or time.monotonic() > deadline:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert keys_in(bucket)


def test_a_rate_that_is_not_positive_is_refused() -> None:
    with pytest.raises(CommandError, match=r"--rate 0\.0: must be above 0"):
        call_command("simulate_feed", "--rate", "0", "--once")


def test_a_paused_simulator_uploads_nothing_until_resumed(bucket, settings, tmp_path) -> None:
    settings.RUN_DIR = tmp_path  # not the flag of a `make run` beside the tests
    out = StringIO()
    call_command("simulate_feed", "--pause", stdout=out)
    assert "paused" in out.getvalue()
    simulator = Simulator(
        seed=3, now=lambda: datetime.now(tz=CHICAGO), config=SimulatorConfig(layout="single")
    )
    stop = threading.Event()
    runner = threading.Thread(
        target=feed_simulate,
        kwargs={"simulator": simulator, "bucket": bucket, "stop": stop, "once": False,
                "duration_s": None},
    )  # fmt: skip
    runner.start()
    try:
        time.sleep(1.5)
        assert keys_in(bucket) == []
        call_command("simulate_feed", "--resume", stdout=StringIO())
        deadline = time.monotonic() + 5
        while not keys_in(bucket) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert keys_in(bucket), "nothing was uploaded after --resume"
    finally:
        stop.set()
        runner.join(timeout=10)

"""A state-store outage pauses intake; it never ends it. The drill: SIGTERM the state
redis-server, wait, start it again with the same command line, put a file: it is
ingested within seconds, nobody restarting anything."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import override_settings

from devstack.processes import Server, free_port, redis_start, wait_for_port
from feeds.sqs_consumer import NotificationConsumer
from lib.redis_clients import redis_clients_reset, state_store
from tests.feeds.ingest.conftest import history_count, sample

OUTAGE_S = 5


def _positions(net: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = float(net)
    return json.dumps(body).encode()


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _files_done(feed: str) -> int:
    try:
        return int(state_store().hget(f"frgm:{{{feed}}}:health", "files_total") or 0)
    except Exception:  # the store may still be coming back
        return 0


@pytest.fixture
def state_server(feed_queue, tmp_path) -> Iterator[list[Server]]:
    """A state store of this test's own (stopping it harms no other test); the list
    gets the restarted server."""
    port = free_port()
    server = redis_start(
        name="state", port=port, data_dir=tmp_path / "state", cluster=True, durable=False
    )
    servers = [server]
    with override_settings(FRGM_STATE_REDIS_URL=f"redis://127.0.0.1:{port}/0"):
        redis_clients_reset()
        yield servers
    for running in servers:
        running.stop()
    redis_clients_reset()


def _same_server_again(server: Server) -> Server:
    """The drill's restart: the very command line, on the same port (its nodes.conf
    keeps the node's slots)."""
    log = server.process.args[server.process.args.index("--dir") + 1] + "/redis.log"
    with open(log, "ab") as out:
        process = subprocess.Popen(
            list(server.process.args), stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    wait_for_port(server.port, timeout_s=10, process=process)
    return Server(name=server.name, port=server.port, process=process)


def test_the_poll_loop_outlives_a_state_store_outage_and_ingests_the_next_file(
    feed_queue, state_server, caplog
):
    caplog.set_level(logging.INFO, logger="feeds.sqs_consumer")
    consumer = NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE, in_flight=2, wait_s=1, visibility_s=5
    )
    consumer.start()
    try:
        feed_queue.put("tt/positions/2025-07-21/positions_20250721_204000.json", _positions(1))
        assert _wait_for(lambda: _files_done("tt-positions") == 1, 15)

        state_server[0].stop()  # SIGTERM, as the drill did
        time.sleep(OUTAGE_S)  # the outage itself, not a wait for an event
        state_server.append(_same_server_again(state_server[0]))
        feed_queue.put("tt/positions/2025-07-21/positions_20250721_204100.json", _positions(2))

        # The restarted store is empty (no persistence): the new file is its first.
        assert _wait_for(lambda: _files_done("tt-positions") == 1, 15)
        assert history_count("tt-positions", "2025-07-21") == 2
        poller = next(t for t in consumer._threads if t.name == "sqs-poll")
        assert poller.is_alive()
    finally:
        consumer.stop()

    outage_lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and "sqs-poll" in r.getMessage()
    ]
    # Once when it began and once when it ended, not once a turn.
    assert len(outage_lines) == 2, outage_lines
    assert "StateStoreUnavailable" in outage_lines[0]
    assert "recovered after" in outage_lines[1]

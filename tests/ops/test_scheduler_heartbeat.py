"""The ops schedule's external heartbeat (a dead-man's switch): each good run pings
FRGM_HEARTBEAT_URL (a real HTTP server here) and logs the SchedulerHeartbeat EMF
metric; a failed run does neither; a dead or silent monitor never stops or slows
the schedule, is logged once, and the URL (a secret) is never logged or shown."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from lib.aws import clients_reset
from ops.heartbeat import Heartbeat
from ops.scheduler import ops_cycle_run, scheduler_run
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db

SECRET = "ping-7f3a9c2e-secret-token"  # what a healthchecks.io check's UUID stands for


@dataclass
class Monitor:
    """A healthchecks.io stand-in: counts the GETs of its ping URL."""

    server: ThreadingHTTPServer
    pings: list[float] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{SECRET}"

    def wait_for(self, count: int, *, within_s: float = 10) -> None:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.pings) >= count, timeout=within_s)
        assert ok, f"{len(self.pings)} ping(s), expected {count}"


def _monitor_start(port: int = 0) -> Monitor:
    monitor: Monitor

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == f"/{SECRET}"
            if ok:  # counted before the answer: the sender may look as soon as it has it
                with monitor.arrived:
                    monitor.pings.append(time.time())
                    monitor.arrived.notify_all()
            self.send_response(200 if ok else 404)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, format: str, *args: object) -> None:
            pass

    monitor = Monitor(server=ThreadingHTTPServer(("127.0.0.1", port), Handler))
    threading.Thread(target=monitor.server.serve_forever, daemon=True).start()
    return monitor


@pytest.fixture
def monitor() -> Iterator[Monitor]:
    started = _monitor_start()
    try:
        yield started
    finally:
        started.server.shutdown()
        started.server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _beats(emf_documents) -> list[dict[str, object]]:
    return [d for d in emf_documents() if "SchedulerHeartbeat" in d]


def _run_failing(*, heartbeat: Heartbeat) -> None:
    """A real failed run: CloudWatch (the moto endpoint) unreachable."""
    with override_settings(FRGM_ALARM_SOURCE="cloudwatch", AWS_ENDPOINT_URL="http://127.0.0.1:9"):
        clients_reset()
        try:
            ops_cycle_run(heartbeat=heartbeat)
        finally:
            clients_reset()


def test_a_good_run_beats_and_a_failed_run_does_not(stack, monitor, emf_documents):
    heartbeat = Heartbeat(url=monitor.url, timeout_s=5)
    try:
        ops_cycle_run(heartbeat=heartbeat)
        monitor.wait_for(1)
        _run_failing(heartbeat=heartbeat)
    finally:
        heartbeat.close()  # a beat asked for is sent before close returns
    assert len(monitor.pings) == 1  # the failed run did not say "alive"
    [beat] = _beats(emf_documents)  # one EMF beat: the good run's
    assert beat["SchedulerHeartbeat"] == 1.0
    assert beat["_aws"]["CloudWatchMetrics"] == [  # type: ignore[index]
        {
            "Namespace": "FRGM/Health",
            "Dimensions": [[]],  # exactly the alarm's: none
            "Metrics": [{"Name": "SchedulerHeartbeat", "Unit": "Count"}],
        }
    ]


def _schedule_until(script: Callable[[threading.Event], None]) -> None:
    """Run the real scheduler loop in this thread (its database work stays in the
    test's transaction) while ``script`` watches from another and sets ``stop``."""
    stop = threading.Event()
    failure: list[BaseException] = []

    def watch() -> None:
        try:
            script(stop)
        except BaseException as exc:  # re-raised in the test's thread
            failure.append(exc)
        finally:
            stop.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    scheduler_run(every_s=0.05, stop=stop)
    watcher.join(timeout=20)
    if failure:
        raise failure[0]


def test_the_scheduler_loop_beats_after_each_good_run(stack, monitor, emf_documents):
    with override_settings(FRGM_HEARTBEAT_URL=monitor.url, FRGM_ALARM_SOURCE="local"):
        _schedule_until(lambda stop: monitor.wait_for(3))
    assert len(_beats(emf_documents)) >= 3


def test_once_sends_its_beat_before_the_process_ends(stack, monitor):
    with override_settings(FRGM_HEARTBEAT_URL=monitor.url, FRGM_ALARM_SOURCE="local"):
        call_command("ops_scheduler", once=True)
    assert len(monitor.pings) == 1  # no wait: --once flushed it


def test_an_unreachable_monitor_does_not_stop_the_schedule_and_is_logged_once(
    stack, emf_documents, caplog
):
    caplog.set_level(logging.DEBUG)
    port = _free_port()  # nothing listens there: connection refused
    url = f"http://127.0.0.1:{port}/{SECRET}"

    recovered: list[Monitor] = []

    def outage_then_recovery(stop: threading.Event) -> None:
        _wait(lambda: len(_beats(emf_documents)) >= 6, "six good runs, the monitor down")
        recovered.append(_monitor_start(port))  # the monitor comes back on its address
        recovered[0].wait_for(2)

    try:
        with override_settings(FRGM_HEARTBEAT_URL=url, FRGM_ALARM_SOURCE="local"):
            _schedule_until(outage_then_recovery)
    finally:
        for monitor in recovered:  # up until the loop's last beat went out
            monitor.server.shutdown()
            monitor.server.server_close()
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    failed = [m for m in said if m.startswith("heartbeat failed")]
    assert len(failed) == 1, said  # once per outage, not once per run
    assert "unreachable" in failed[0]
    assert len([m for m in said if m.startswith("heartbeat sent again after")]) == 1
    assert all(SECRET not in r.getMessage() for r in caplog.records)
    assert SECRET not in caplog.text  # tracebacks included


def test_a_monitor_that_never_answers_does_not_slow_the_schedule(stack, emf_documents):
    """It accepts the connection and says nothing: the ping waits out its timeout in
    its own thread while the runs go on."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # never accepted, never answered
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/{SECRET}"

    def runs_while_the_ping_hangs(stop: threading.Event) -> None:
        try:
            # Far more runs than one ping's 60 s timeout would allow if it blocked them.
            _wait(lambda: len(_beats(emf_documents)) >= 5, "five good runs, the ping hanging")
        finally:
            stop.set()
            silent.close()  # the waiting ping is reset: the loop's close returns

    with override_settings(
        FRGM_HEARTBEAT_URL=url, FRGM_HEARTBEAT_TIMEOUT_S=60, FRGM_ALARM_SOURCE="local"
    ):
        _schedule_until(runs_while_the_ping_hangs)
    assert len(_beats(emf_documents)) >= 5


def test_the_url_is_never_logged_or_shown(stack, oncall, monitor, caplog):
    caplog.set_level(logging.DEBUG)
    for url in (
        monitor.url,
        f"127.0.0.1/{SECRET}",  # no scheme: urllib's ValueError quotes it
        f"htp://127.0.0.1/{SECRET}",  # an unknown scheme: its URLError quotes it
        f"http://127.0.0.1:9/{SECRET}",  # nothing listening
    ):
        heartbeat = Heartbeat(url=url, timeout_s=2)
        try:
            ops_cycle_run(heartbeat=heartbeat)
        finally:
            heartbeat.close()
    assert len(monitor.pings) == 1
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("heartbeat sent") for m in messages)
    assert any(m.startswith("heartbeat failed") for m in messages)
    assert SECRET not in caplog.text
    with override_settings(FRGM_HEARTBEAT_URL=monitor.url):
        client = logged_in(oncall)
        pages = [client.get("/readyz"), client.get("/healthz")]
        for name, args in (
            ("ops:health", []),
            ("ops:alarms", []),
            ("ops:alarm", ["scheduler-not-running"]),
            ("ops:runbooks", []),
            ("ops:runbook", ["scheduler-down"]),
            ("ops:incidents", []),
        ):
            pages.append(client.get(reverse(name, args=args)))
    for page in pages:
        assert page.status_code in (200, 503), page
        assert SECRET not in page.content.decode()


def _wait(condition, what: str, *, within_s: float = 20) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)

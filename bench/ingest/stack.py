"""The private stack: servers on free ports, Django pointed at them, the child processes."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.instrument import Recorder, hooks_install
from bench.stats import machine_busy_s, process_cpu_s

ROOT = Path(__file__).resolve().parent.parent.parent


class Bench:
    """The stack, Django pointed at it, instrumentation, and the child processes."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.servers: list[Any] = []
        self.children: list[subprocess.Popen[bytes]] = []
        self.overrides: Any = None
        self.stack: Any = None
        self.consumer: Any = None
        self.recorder = Recorder()
        self.listener_out = run_dir / "listener.tsv"

    def start(self) -> None:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
        django.setup()
        from tests.stack import stack_start

        self.stack = stack_start(self.run_dir / "stack")
        self.servers = [self.stack.state, self.stack.messaging, self.stack.aws]
        self._django_point_at_stack()
        self._listener_start()
        hooks_install(self.recorder)

    def _django_point_at_stack(self) -> None:
        from django.test import override_settings

        from feeds.bootstrap import local_resources_ensure
        from lib.aws import clients_reset
        from lib.redis_clients import redis_clients_reset
        from tests.conftest import stack_settings

        os.environ["AWS_ENDPOINT_URL"] = self.stack.aws_url
        self.overrides = override_settings(**stack_settings(self.stack))
        self.overrides.enable()
        clients_reset()
        redis_clients_reset()
        _logs_to_file(self.run_dir / "worker.log")
        local_resources_ensure()

    def _listener_start(self) -> None:
        from feeds.messages import feed_all_group_name
        from feeds.records import Feed

        groups = [feed_all_group_name(feed.value) for feed in Feed]
        self.listener = self.child(
            "bench.listener", self.stack.messaging_url, str(self.listener_out), *groups
        )
        ready = Path(str(self.listener_out) + ".ready")
        deadline = time.monotonic() + 20
        while not ready.exists():
            if self.listener.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the channel-layer listener did not start (see run dir)")
            time.sleep(0.05)

    def child(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.run_dir / f"{module.rsplit('.', 1)[-1]}.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        self.children.append(process)
        return process

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the worker (this process) and each server."""
        times = os.times()
        found = {"worker": times.user + times.system}
        for name, pid in (
            ("moto", self.servers[2].process.pid),
            ("redis state", self.servers[0].process.pid),
            ("redis messaging", self.servers[1].process.pid),
            ("web stand-in", self.listener.pid),
        ):
            found[name] = process_cpu_s(pid) or 0.0
        found["machine"] = machine_busy_s() or 0.0
        return found

    def stop(self, *, interrupted: bool = False) -> None:
        if interrupted:
            # The consumer's poll thread may be mid-receive and then find its pool
            # shut down; at teardown that traceback is noise.
            threading.excepthook = lambda args: None
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                self.consumer.stop(timeout_s=5)
            self.consumer = None
        for child in self.children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if self.overrides is not None:
            with contextlib.suppress(Exception):
                self.overrides.disable()
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()


def _logs_to_file(path: Path) -> None:
    """The worker's log and EMF lines still get formatted and written, but to a
    file (as stdout goes to CloudWatch in AWS), not over the benchmark's table."""
    stream = path.open("a")
    for name in ("", "frgm.emf"):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(stream)

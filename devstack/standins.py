"""The stand-ins on free ports, for the tests and the benchmarks.

``make run`` starts its servers on the ports the user chose (``devstack.__main__``);
the tests (one stack per pytest-xdist worker) and the benchmarks start the same
servers on free ports, with data under a directory of their own.

``free_port`` only finds a port that was free a moment ago: another worker (or
any process on the machine) can take it before our server binds it, and then
the port answers for a server that is not ours. So each server is checked to be
ours before it is used, and started again on another port when it is not.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis

from devstack.processes import (
    Server,
    StackError,
    free_port,
    local_aws_environment,
    moto_start,
    redis_start,
    wait_for_port,
)

START_ATTEMPTS = 5
ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Stack:
    state: Server
    messaging: Server
    aws: Server

    @property
    def state_url(self) -> str:
        return f"redis://127.0.0.1:{self.state.port}/0"

    @property
    def messaging_url(self) -> str:
        return f"redis://127.0.0.1:{self.messaging.port}/0"

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.aws.port}"

    def environment(self) -> dict[str, str]:
        """The variables that point a process of the product (or this one, before
        ``django.setup()``) at the stack."""
        return {
            "FRGM_ENV": "local",
            "FRGM_STATE_REDIS_URL": self.state_url,
            "FRGM_MESSAGING_REDIS_URL": self.messaging_url,
            "CELERY_BROKER_URL": self.messaging_url,
            **local_aws_environment(self.aws_url),
        }

    def stop(self) -> None:
        for server in (self.state, self.messaging, self.aws):
            server.stop()


def stack_settings(stack: Stack) -> dict[str, object]:
    """Settings that point a Django already set up at ``stack`` (``override_settings``).

    The channel layer keeps the configuration settings.py gave it, with the
    messaging Redis's address swapped: devstack knows no product module."""
    from django.conf import settings  # only where Django is configured

    layers: dict[str, Any] = copy.deepcopy(settings.CHANNEL_LAYERS)
    for layer in layers.values():
        for host in layer.get("CONFIG", {}).get("hosts", []):
            host["address"] = stack.messaging_url
    return {
        "FRGM_STATE_REDIS_URL": stack.state_url,
        "FRGM_MESSAGING_REDIS_URL": stack.messaging_url,
        "AWS_ENDPOINT_URL": stack.aws_url,
        "CELERY_BROKER_URL": stack.messaging_url,
        "CHANNEL_LAYERS": layers,
    }


def _redis_is_ours(server: Server, data_dir: Path) -> bool:
    """The server on the port keeps its data in ``data_dir``: ours, not a neighbour's."""
    if server.process.poll() is not None:
        return False
    conn = redis.Redis(port=server.port, socket_timeout=2)
    try:
        return Path(str(conn.config_get("dir").get("dir"))).resolve() == data_dir.resolve()
    finally:
        conn.close()


def _moto_is_ours(server: Server, log: Path) -> bool:
    """Our moto process says it bound the port (werkzeug's banner), and still runs;
    one whose port was taken says "Address already in use" and exits."""
    banner = f"Running on http://127.0.0.1:{server.port}"
    deadline = time.monotonic() + 15  # the banner follows the bind by a moment
    while server.process.poll() is None and time.monotonic() < deadline:
        if banner in log.read_text(errors="replace"):
            return True
        time.sleep(0.05)
    return False


def _owned_start(start: Callable[[int], Server], *, ours: Callable[[Server], bool]) -> Server:
    """``start`` on a free port until the server on it is the one started."""
    failures: list[str] = []
    for _ in range(START_ATTEMPTS):
        port = free_port()
        try:
            server = start(port)
        except Exception as exc:  # the port was taken between free_port and the bind
            failures.append(f"{port}: {exc}")
            continue
        try:
            if ours(server):
                return server
        except Exception as exc:
            failures.append(f"{port}: {exc}")
        else:
            failures.append(f"{port}: another server answered")
        server.stop()
    raise StackError("could not start a server of our own: " + "; ".join(failures))


def redis_owned(base: Path, *, name: str, cluster: bool, durable: bool = False) -> Server:
    """A private redis-server on a free port, data under ``base / name``."""
    data_dir = base / name

    def start(port: int) -> Server:
        return redis_start(
            name=name, port=port, data_dir=data_dir, cluster=cluster, durable=durable
        )

    return _owned_start(start, ours=lambda server: _redis_is_ours(server, data_dir))


def moto_owned(base: Path) -> Server:
    """moto's server on a free port, its log in ``base / "moto.log"``."""
    return _owned_start(
        lambda port: moto_start(port=port, log_dir=base),
        ours=lambda server: _moto_is_ours(server, base / "moto.log"),
    )


def stack_start(base: Path) -> Stack:
    """Both Redis servers (the state store as a one-node cluster) and moto's server,
    on free ports, data under ``base``; on a failure the ones started are stopped."""
    started: list[Server] = []
    try:
        for name, cluster in (("state", True), ("messaging", False)):
            started.append(redis_owned(base, name=name, cluster=cluster))
        started.append(moto_owned(base))
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    state, messaging, aws = started
    return Stack(state=state, messaging=messaging, aws=aws)


def web_start(
    env: Mapping[str, str],
    *,
    log: Path,
    ws: str = "websockets-sansio",
    port: int | None = None,
) -> Server:
    """One uvicorn web process as the Procfile runs it (no per-message deflate, 5 s
    graceful shutdown, no access log), warnings only, on ``port`` or a free one."""
    port = port or free_port()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "frgm_site.asgi:application",
                "--host", "127.0.0.1", "--port", str(port),
                "--ws", ws, "--ws-per-message-deflate", "false",
                "--timeout-graceful-shutdown", "5",
                "--no-access-log", "--log-level", "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    wait_for_port(port, timeout_s=30, process=process)
    return Server(name="web (uvicorn)", port=port, process=process)

"""The local stand-ins for tests: the same servers `make run` starts, on free ports.

Under pytest-xdist every worker is a process of its own with its own session
fixtures, so each starts its own stack. ``free_port`` only finds a port that was
free a moment ago: another worker (or any process on the machine) can take it
before our server binds it, and then the port answers for a server that is not
ours. So each server is checked to be ours before it is used, and started again
on another port when it is not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import redis

from devstack.processes import Server, StackError, free_port, moto_start, redis_start

START_ATTEMPTS = 5


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

    def stop(self) -> None:
        for server in (self.state, self.messaging, self.aws):
            server.stop()


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


def _redis_owned(base: Path, *, name: str, cluster: bool) -> Server:
    data_dir = base / name

    def start(port: int) -> Server:
        return redis_start(name=name, port=port, data_dir=data_dir, cluster=cluster, durable=False)

    return _owned_start(start, ours=lambda server: _redis_is_ours(server, data_dir))


def _moto_owned(base: Path) -> Server:
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
            started.append(_redis_owned(base, name=name, cluster=cluster))
        started.append(_moto_owned(base))
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    state, messaging, aws = started
    return Stack(state=state, messaging=messaging, aws=aws)

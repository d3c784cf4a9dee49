"""The local stand-ins for tests: the same servers `make run` starts, on free ports."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from devstack.processes import Server, free_port, moto_start, redis_start


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


def stack_start(base: Path) -> Stack:
    """Both Redis servers (the state store as a one-node cluster) and moto's server,
    on free ports, data under ``base``; on a failure the ones started are stopped."""
    started: list[Server] = []
    try:
        for name, cluster in (("state", True), ("messaging", False)):
            started.append(
                redis_start(
                    name=name,
                    port=free_port(),
                    data_dir=base / name,
                    cluster=cluster,
                    durable=False,
                )
            )
        started.append(moto_start(port=free_port(), log_dir=base))
    except BaseException:
        for server in reversed(started):
            server.stop()
        raise
    state, messaging, aws = started
    return Stack(state=state, messaging=messaging, aws=aws)

"""Start, probe and stop the private servers the local stack needs."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import redis

# A cap like MemoryDB's, so the memory alarm has something to measure against locally.
STATE_STORE_MAXMEMORY = "512mb"


class StackError(RuntimeError):
    """A local server could not be started."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, *, timeout_s: float, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"process {process.args!r} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise StackError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self, timeout_s: float = 5.0) -> None:
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _spawn(args: list[str], log_path: Path) -> subprocess.Popen[bytes]:
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:
        # A session of its own: Ctrl-C reaches the launcher, which stops the
        # servers in order after web and worker are gone.
        return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def redis_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise StackError(
            "redis-server is not installed. On Debian/Ubuntu: sudo apt-get install redis-server"
        )
    return path


def redis_start(
    *,
    name: str,
    port: int,
    data_dir: Path,
    cluster: bool,
    durable: bool,
    maxmemory: str | None = None,
) -> Server:
    """A private redis-server; ``cluster`` makes it a one-node cluster owning every slot.

    ``maxmemory`` ("512mb") caps it as MemoryDB is capped, with MemoryDB's default
    noeviction policy, so the redis-memory-high alarm measures the same ratio here."""
    data_dir.mkdir(parents=True, exist_ok=True)
    args = [
        redis_binary(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data_dir),
        "--save",
        "",
        "--appendonly",
        "yes" if durable else "no",
        "--appendfsync",
        "everysec",
        "--logfile",
        "",
    ]
    if maxmemory:
        args += ["--maxmemory", maxmemory, "--maxmemory-policy", "noeviction"]
    if cluster:
        args += [
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-announce-ip",
            "127.0.0.1",
            # The bus defaults to port + 10000, which overflows for high free ports.
            "--cluster-port",
            str(free_port()),
        ]
    process = _spawn(args, data_dir / "redis.log")
    wait_for_port(port, timeout_s=10, process=process)
    server = Server(name=name, port=port, process=process)
    if cluster:
        _cluster_slots_claim(port)
    return server


def state_store_start(*, port: int, run_dir: Path) -> Server:
    """The state store as ``make run`` starts it (and a drill starts it again): a
    one-node cluster, durable (appendonly: a restart comes back with its data, as
    MemoryDB does), capped as MemoryDB is."""
    return redis_start(
        name="state store (one-node cluster)",
        port=port,
        data_dir=run_dir / "state-redis",
        cluster=True,
        durable=True,
        maxmemory=STATE_STORE_MAXMEMORY,
    )


def messaging_start(*, port: int, run_dir: Path) -> Server:
    """The messaging Redis as ``make run`` starts it: plain, not durable."""
    return redis_start(
        name="messaging",
        port=port,
        data_dir=run_dir / "messaging-redis",
        cluster=False,
        durable=False,
    )


def _cluster_slots_claim(port: int) -> None:
    conn = redis.Redis(port=port, socket_timeout=2)
    try:
        info = conn.execute_command("CLUSTER", "INFO").decode()
        if "cluster_slots_assigned:16384" not in info:
            # nodes.conf from an earlier run keeps the slots; a new node claims them all.
            conn.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)
        deadline = time.monotonic() + 10
        while "cluster_state:ok" not in conn.execute_command("CLUSTER", "INFO").decode():
            if time.monotonic() > deadline:
                raise StackError(f"redis cluster on {port} did not reach cluster_state:ok")
            time.sleep(0.05)
    finally:
        conn.close()


def moto_start(*, port: int, log_dir: Path) -> Server:
    """moto's server: S3, SQS, DynamoDB, CloudWatch, SNS, Secrets Manager on one port."""
    process = _spawn(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        log_dir / "moto.log",
    )
    wait_for_port(port, timeout_s=30, process=process)
    return Server(name="aws (moto)", port=port, process=process)


def local_aws_environment(endpoint: str) -> dict[str, str]:
    """Variables that point boto3 (ours and child processes') at the stand-in."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
    }

"""``make run``: the whole product on one machine, in the foreground.

Starts two private Redis servers and moto's server, prepares the database and
the AWS stand-in, then runs web, worker, the ops scheduler (and simulator) under
devstack.supervisor: a process that dies is started again, and one that keeps
dying stops everything with the reason. Ctrl-C stops every process this started.

Variables come from the process environment first, then from ``.env`` (beside
the Makefile, or ``FRGM_DOTENV``), then the defaults: ``FRGM_PORT=8001 make run``
wins over a ``FRGM_PORT`` in ``.env``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from types import FrameType
from urllib.parse import urlparse

from dotenv import dotenv_values

from devstack.processes import (
    Server,
    StackError,
    local_aws_environment,
    messaging_start,
    moto_start,
    port_is_free,
    state_store_start,
)
from devstack.supervisor import ProcessKeepsDying, RestartPolicy, Supervisor, procfile_read

ROOT = Path(__file__).resolve().parent.parent
# FRGM_RUN_DIR lets a test run a whole stack of its own beside `make run`.
RUN_DIR = Path(os.environ.get("FRGM_RUN_DIR") or ROOT / ".run")
# ... and FRGM_PROCFILE, with processes of its own (one that keeps dying).
PROCFILE = Path(os.environ.get("FRGM_PROCFILE") or ROOT / "Procfile")
# The developer's own settings for make run (gitignored; .env.example lists them).
DOTENV = Path(os.environ.get("FRGM_DOTENV") or ROOT / ".env")

DEFAULTS = {
    "FRGM_PORT": "8000",
    "FRGM_STATE_REDIS_URL": "redis://127.0.0.1:16379/0",
    "FRGM_MESSAGING_REDIS_URL": "redis://127.0.0.1:16380/0",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:15566",
}


def stack_environment(environ: Mapping[str, str], dotenv: Path) -> dict[str, str]:
    """``dotenv``'s variables under ``environ``'s: what the user typed on the command
    line (or exported) is never overridden by the file. Neither: the defaults apply."""
    from_file = dotenv_values(dotenv, interpolate=False) if dotenv.is_file() else {}
    return {**{k: v for k, v in from_file.items() if v is not None}, **environ}


def _port_of(url: str) -> int:
    port = urlparse(url).port
    if port is None:
        raise StackError(f"{url!r} names no port")
    return port


def _check_ports(config: dict[str, str]) -> None:
    for name in DEFAULTS:
        port = int(config[name]) if name == "FRGM_PORT" else _port_of(config[name])
        if not port_is_free(port):
            raise StackError(
                f"port {port} ({name}) is already in use. Stop what listens there, or "
                f"choose another, e.g. {name}={_suggest(name, config[name])} make run"
            )


def _suggest(name: str, value: str) -> str:
    if name == "FRGM_PORT":
        return str(int(value) + 1)
    port = _port_of(value)
    return value.replace(f":{port}", f":{port + 100}")


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True)


def _announce_when_up(port: int, stopped: threading.Event) -> None:
    def wait() -> None:
        deadline = time.monotonic() + 90
        while not stopped.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                print(
                    f"\n  FRGM Live is up: http://127.0.0.1:{port}/  "
                    "(log in as trader, oncall or admin)"
                    f"\n  readiness: http://127.0.0.1:{port}/readyz    Ctrl-C stops everything\n",
                    flush=True,
                )
                return
            stopped.wait(0.2)

    threading.Thread(target=wait, daemon=True).start()


def _restart_policy(env: dict[str, str]) -> RestartPolicy:
    """The default policy; FRGM_RESTART_BACKOFF_S sets the first pause (a test of the
    whole stack need not sit through 30 s of pauses to see it give up)."""
    first = env.get("FRGM_RESTART_BACKOFF_S")
    return RestartPolicy(backoff_first_s=float(first)) if first else RestartPolicy()


def main() -> int:
    base = stack_environment(os.environ, DOTENV)
    config = {name: base.get(name) or default for name, default in DEFAULTS.items()}
    _check_ports(config)
    env = {**base, **config, **local_aws_environment(config["AWS_ENDPOINT_URL"])}
    # The stand-in's region unless the environment or .env names one.
    env["AWS_DEFAULT_REGION"] = base.get("AWS_DEFAULT_REGION") or env["AWS_DEFAULT_REGION"]
    # uvicorn and celery live beside this interpreter in .venv/bin.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    # /readyz shows each process's restart count from here.
    env["FRGM_SUPERVISOR_STATE_FILE"] = str(RUN_DIR / "processes.json")
    env.setdefault("FRGM_ENV", "local")
    env.setdefault("DJANGO_DEBUG", "1")
    servers: list[Server] = []
    supervisor: Supervisor | None = None
    stopped = threading.Event()

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Started from a shell's background job (`make run &`, a CI script), SIGINT comes
    # in ignored and Python then keeps it so: Ctrl-C (or a test's SIGINT) did nothing.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        print("Starting private Redis servers and the AWS stand-in under .run/ ...", flush=True)
        servers.append(
            state_store_start(port=_port_of(config["FRGM_STATE_REDIS_URL"]), run_dir=RUN_DIR)
        )
        servers.append(
            messaging_start(port=_port_of(config["FRGM_MESSAGING_REDIS_URL"]), run_dir=RUN_DIR)
        )
        servers.append(moto_start(port=_port_of(config["AWS_ENDPOINT_URL"]), log_dir=RUN_DIR))
        for server in servers:
            print(f"  {server.name:<32} 127.0.0.1:{server.port}", flush=True)
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "bootstrap_local")
        print("Users (one per role):", flush=True)
        _manage(env, "create_role_users")
        processes = ["web", "worker", "scheduler"]
        if env.get("FRGM_SIMULATE", "1") not in {"0", "false", "off"}:
            processes.append("simulator")
        procfile = procfile_read(PROCFILE)
        supervisor = Supervisor(
            {name: procfile[name] for name in processes},
            env=env,
            cwd=ROOT,
            state_file=Path(env["FRGM_SUPERVISOR_STATE_FILE"]),
            policy=_restart_policy(env),
        )
        _announce_when_up(int(config["FRGM_PORT"]), stopped)
        supervisor.run()
        return 0
    except KeyboardInterrupt:
        print("\nStopping ...", flush=True)
        return 0
    except ProcessKeepsDying as exc:
        print(f"\nmake run: {exc}. Stopping everything.", file=sys.stderr, flush=True)
        return 1
    except (StackError, subprocess.CalledProcessError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not leave the servers (sessions of their own) behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stopped.set()
        if supervisor is not None:
            # Web and worker first: they use the servers, which go last.
            supervisor.stop()
        for server in reversed(servers):
            server.stop()


if __name__ == "__main__":
    sys.exit(main())

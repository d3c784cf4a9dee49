"""The image's commands: one per ECS container, and a health check fitting each.

``python -m frgm_site.container web|worker|scheduler|migrate`` becomes the
process (``exec``: ECS's SIGTERM reaches uvicorn, Celery or the scheduler
directly). ``python -m frgm_site.container health`` checks the process named
by ``FRGM_PROCESS`` (the image's HEALTHCHECK; each ECS task definition sets
the variable and may repeat the check as its container health check).

Nothing here imports Django: the web command must not pay for settings twice,
and a health check must stay cheap. The web command writes the app's logging
configuration for uvicorn first (``frgm_site.logging_config``): its access and
error lines are then JSON in production, like the app's.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path

from frgm_site.logging_config import (
    LOG_FORMATS,
    LOG_LEVELS,
    default_log_format,
    logging_config,
)

PROCESSES = ("web", "worker", "scheduler", "migrate")
WEB_PORT = "8000"


def command_for(process: str, *, environ: dict[str, str] | None = None) -> list[str]:
    """The argv the container runs for ``process`` (for web, with the logging
    configuration it names written)."""
    env = os.environ if environ is None else environ
    python = sys.executable
    if process == "web":
        return [
            python, "-m", "uvicorn", "frgm_site.asgi:application",
            "--host", "0.0.0.0",  # noqa: S104 - the container's port, behind the ALB
            "--port", env.get("FRGM_PORT", WEB_PORT),
            "--ws", "websockets-sansio", "--ws-per-message-deflate", "false",
            "--timeout-graceful-shutdown", "10",
            "--log-config", str(uvicorn_log_config_write(env)),
            # X-Forwarded-For is believed only from the ALB's subnets (required in
            # prod): REMOTE_ADDR is then the client the ALB saw.
            "--proxy-headers", "--forwarded-allow-ips", env.get("FRGM_TRUSTED_PROXIES", ""),
        ]  # fmt: skip
    if process == "worker":
        return [
            python, "-m", "celery", "-A", "frgm_site", "worker", "--loglevel", "INFO",
            "--concurrency", env.get("FRGM_WORKER_CONCURRENCY", "2"),
            "--hostname", "worker@%h",
        ]  # fmt: skip
    if process == "scheduler":
        return [python, "manage.py", "ops_scheduler"]
    if process == "migrate":
        return [python, "manage.py", "migrate", "--noinput"]
    raise SystemExit(f"unknown process {process!r}: one of {', '.join(PROCESSES)}")


def uvicorn_log_config_path() -> Path:
    """Per process (the pid survives the exec): web commands side by side, as in
    the tests, never read each other's."""
    return Path(tempfile.gettempdir()) / f"frgm-uvicorn-logging-{os.getpid()}.json"


def uvicorn_log_config_write(environ: Mapping[str, str]) -> Path:
    """The app's logging configuration, for uvicorn, from the variables settings
    read. A bad value falls back to the default here: settings reports it."""
    production = environ.get("FRGM_ENV", "local") == "prod"
    log_format = environ.get("FRGM_LOG_FORMAT") or default_log_format(production=production)
    if log_format not in LOG_FORMATS:
        log_format = default_log_format(production=production)
    level = environ.get("FRGM_LOG_LEVEL") or "INFO"
    if level not in LOG_LEVELS:
        level = "INFO"
    path = uvicorn_log_config_path()
    config = logging_config(log_format=log_format, level=level, emf=False)
    path.write_text(json.dumps(config))
    return path


def health_command_for(process: str) -> list[str] | None:
    """The argv of ``process``'s health check; None where the web probe applies."""
    python = sys.executable
    if process == "worker":
        return [python, "manage.py", "worker_health"]
    if process == "scheduler":
        return [python, "manage.py", "ops_scheduler", "--check"]
    return None


def web_healthy(port: str = WEB_PORT) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def health(process: str) -> int:
    if process == "migrate":
        return 0  # a one-off task: its exit code is its health
    argv = health_command_for(process)
    if argv is None:
        return 0 if web_healthy(os.environ.get("FRGM_PORT", WEB_PORT)) else 1
    os.execv(argv[0], argv)  # noqa: S606 - a fixed argv of our own
    return 1  # not reached


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1 or argv[0] not in (*PROCESSES, "health"):
        print(f"usage: python -m frgm_site.container {{{'|'.join(PROCESSES)}|health}}")
        return 2
    if argv[0] == "health":
        return health(os.environ.get("FRGM_PROCESS", "web"))
    command = command_for(argv[0])
    os.execv(command[0], command)  # noqa: S606 - a fixed argv of our own
    return 1  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

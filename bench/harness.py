"""What every benchmark shares: its run directory, a private stack on free ports
(``devstack.standins``: state store as a one-node Redis cluster, messaging Redis,
moto's server), this process's Django pointed at it (a migrated SQLite database
in the run directory), the web process as the Procfile runs it, logged-in
sessions, child processes, and stopping all of it, also on Ctrl-C or SIGTERM.

A benchmark is one module with one shape: parse its options, ``Harness.start``,
its own setup, run its steps, stop, print its table (``bench.stats.table``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import FrameType
from typing import Any

from devstack.processes import Server
from devstack.standins import Stack, stack_start, web_start

ROOT = Path(__file__).resolve().parent.parent
# Logs and EMF lines of this process and the web process at WARNING and off: a
# benchmark prints a table, and writing every line would be measured too.
QUIET = {"FRGM_LOG_LEVEL": "WARNING", "FRGM_EMF": "false"}
TRADER = "bench-trader"


class Harness:
    """The private stack, Django pointed at it, and what the benchmark started."""

    def __init__(self, run_dir: Path, *, env: Mapping[str, str] | None = None) -> None:
        self.run_dir = run_dir
        self.extra_env = dict(env or {})
        self.env: dict[str, str] = {}
        self.stack: Stack | None = None
        self.web: Server | None = None
        self.children: list[subprocess.Popen[bytes]] = []

    @property
    def port(self) -> int:
        """The web process's port."""
        assert self.web is not None, "web_start() first"
        return self.web.port

    @property
    def servers(self) -> list[Server]:
        """State store, messaging Redis, moto: in that order."""
        return (
            [] if self.stack is None else [self.stack.state, self.stack.messaging, self.stack.aws]
        )

    def start(self, *, migrate: bool = True) -> Stack:
        """The stack, then Django set up on it (the environment first, as a process of
        the product reads it), the database migrated and the AWS stand-in prepared."""
        self.stack = stack_start(self.run_dir / "stack")
        self.env = {
            **self.stack.environment(),
            "DJANGO_SETTINGS_MODULE": "frgm_site.settings",
            "DATABASE_URL": f"sqlite:///{self.run_dir / 'db.sqlite3'}",
            **self.extra_env,
        }
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        from feeds.bootstrap import local_resources_ensure

        if migrate:
            call_command("migrate", interactive=False, verbosity=0)
        local_resources_ensure()
        return self.stack

    def web_start(self, *, ws: str = "websockets-sansio") -> Server:
        """One uvicorn web process on the stack, as the Procfile runs it."""
        self.web = web_start(self.env, log=self.run_dir / "web.log", ws=ws)
        return self.web

    def sessions(self, count: int, *, username: str = TRADER) -> list[str]:
        """``count`` logged-in sessions of one trader as ``Cookie`` header values (as
        ``Client.force_login`` makes them: no password, no login form)."""
        return session_cookies(trader(username), count)

    def child(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        """``python -m module args`` on the stack, its output in the run directory."""
        log = (self.run_dir / f"{module.rsplit('.', 1)[-1]}.log").open("ab")
        env = {**os.environ, **self.env, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        self.children.append(process)
        return process

    def stop(self) -> None:
        """The children and the web process first (they use the servers), then the stack."""
        for child in self.children:
            _stop(child)
        if self.web is not None:
            with contextlib.suppress(Exception):
                self.web.stop(timeout_s=10)
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()


def trader(username: str = TRADER) -> Any:
    """The benchmark's trader (no password: sessions and tokens only)."""
    from django.contrib.auth.models import Group, User

    user, created = User.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get_or_create(name="trader")[0])
    return user


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def run_directory(prefix: str, *, keep: bool = False) -> Iterator[Path]:
    """A temporary run directory, removed afterwards unless ``keep`` (or the block set
    ``keep`` itself by raising: the logs say what went wrong)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    except BaseException:
        keep = True
        raise
    finally:
        if keep:
            print(f"run directory kept: {path}", flush=True)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM stops the benchmark as Ctrl-C does: everything it started is stopped."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def session_cookies(user: Any, count: int) -> list[str]:
    """``count`` logged-in sessions of ``user`` as ``Cookie`` header values (a session
    per socket, as browsers; as ``Client.force_login`` makes them)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    cookies = []
    for _ in range(count):
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
    return cookies


def nofile_raise(wanted: int) -> None:
    """Open-file limit up to ``wanted`` (sockets), within the hard limit."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

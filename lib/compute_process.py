"""A process of its own for CPU-heavy recomputes, so they never hold the caller's GIL.

The web process's event loop writes every frame to every socket. A recompute
run in a thread (the ladder with its whole-book columns, the 129 x 5 risk
slide: ~30 ms of Python per update) holds the GIL for most of its run, so a
broadcast it overlaps waits for it: with the book live, the 1,000-socket
fan-out's p99 grew by 17 %. Here the recompute runs in one child process per
web process (the second core), and the loop only unpickles its answer. The
child still takes a CPU the fan-out needs, so the live rooms start a recompute
once the sockets' writes have gone out (``ladder.hub.ladder_view``).

The child is started on first use (spawn: a clean interpreter, not a fork of a
threaded server; recomputes run in a thread until it is up) and lives as long
as its parent: it exits when the parent is
gone, even after a ``kill -9`` (``_orphan_watch``). One that dies is replaced,
and the call that found it dead runs in a thread instead, so a frame is late
at worst, never lost.

Settings: the child loads the same settings module from the same environment.
Settings the parent changed at run time (``override_settings`` in tests: a
test's own Redis, say) travel with each call and are applied in the child
before it runs, so the child reads what the caller would.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import logging
import multiprocessing
import os
import pickle
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from django.conf import settings

from lib.heap import heap_settle

log = logging.getLogger(__name__)

T = TypeVar("T")

ORPHAN_CHECK_S = 1.0  # how often the child checks that its parent still lives
_MISSING = object()

_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.RLock()  # re-entered when the start-up callback runs at once
_ready = threading.Event()  # the current child has started and loaded Django


def settings_overridden() -> dict[str, Any]:
    """The settings changed at run time in this process (``override_settings``), the
    innermost value of each; empty in production, where nothing overrides them."""
    from django.conf import UserSettingsHolder

    layers = []
    wrapped = getattr(settings, "_wrapped", None)
    while isinstance(wrapped, UserSettingsHolder):
        layers.append({k: v for k, v in vars(wrapped).items() if k.isupper()})
        wrapped = wrapped.default_settings
    changed: dict[str, Any] = {}
    for layer in reversed(layers):  # outermost first: the inner layers win
        changed.update(layer)
    return changed


async def compute_run(fn: Callable[..., T], /, **kwargs: Any) -> T:
    """``fn(**kwargs)`` in the compute process (``fn`` must be a module-level function:
    it is sent by name). Its exceptions are raised here, as a thread would."""
    pool = _pool_get() if compute_in_process(fn) else None
    if pool is None or not _ready.is_set():  # off, or the child still starting
        return await asyncio.to_thread(fn, **kwargs)
    call = functools.partial(_child_call, fn, settings_overridden(), kwargs)
    try:
        try:
            future = pool.submit(call)
        except BrokenProcessPool:
            raise
        except RuntimeError:  # stopped (being replaced) since we took it: not this call's fault
            return await asyncio.to_thread(fn, **kwargs)
        return await asyncio.wrap_future(future)
    except BrokenProcessPool:
        log.warning("compute process died: starting another; this recompute runs in a thread")
        _pool_drop(pool)
        return await asyncio.to_thread(fn, **kwargs)


def compute_in_process(fn: Callable[..., Any]) -> bool:
    """Whether ``compute_run(fn)`` runs in the compute process: when it is on
    (``FRGM_LIVE_COMPUTE_PROCESS``), for a module-level function (sent by name; a
    test's closure runs in a thread) and overridden settings that pickle."""
    if not settings.FRGM_LIVE_COMPUTE_PROCESS or "<" in getattr(fn, "__qualname__", "<"):
        return False
    try:
        pickle.dumps(settings_overridden())
    except Exception:
        return False
    return True


def compute_process_start(preload: tuple[str, ...] = ()) -> None:
    """Start the compute process now (when it is on), not at the first recompute;
    it imports ``preload`` (the computes' modules) before it takes work."""
    if settings.FRGM_LIVE_COMPUTE_PROCESS:
        _pool_get(preload)


def compute_process_ready(timeout: float) -> bool:
    """Wait (blocking) until the compute process has started; False on timeout."""
    return _ready.wait(timeout)


def compute_process_pid() -> int | None:
    """The compute process's pid, or None when none is running (drills, tests)."""
    pool = _pool
    processes = getattr(pool, "_processes", None) or {}
    return next(iter(processes), None)


def compute_process_stop() -> None:
    """Stop the compute process (it is started again on next use)."""
    with _pool_lock:
        pool = _pool
    if pool is not None:
        _pool_drop(pool)


def _pool_get(preload: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """The compute process, started (not awaited) when there is none: until it has
    loaded Django (``_ready``: 1-2 s, longer on a busy machine) recomputes run in a
    thread, so neither a socket's first snapshot nor a delta waits for the start."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _ready.clear()
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_child_start,
                initargs=(os.getpid(), preload),
            )
            pool = _pool
            pool.submit(os.getpid).add_done_callback(lambda f: _started(f, pool))
        return _pool


def _started(future: Future[int], pool: ProcessPoolExecutor) -> None:
    with _pool_lock:
        if _pool is pool and not future.cancelled() and future.exception() is None:
            _ready.set()


def _pool_drop(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
            _ready.clear()
    pool.shutdown(wait=False, cancel_futures=True)


# the child's side


def _child_start(parent_pid: int, preload: tuple[str, ...]) -> None:
    # Not niced: at nice 19 a busy machine starved it (a first slide snapshot took
    # over 5 s in the test suite), and the fan-out measured no better for it.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
    import django

    django.setup()
    for module in preload:  # before it says it is up: its first recompute imports nothing
        importlib.import_module(module)
    # Out of the collector's sight, as the worker's (``lib.heap``): a full collection
    # over Django and the apps' objects would land in some update's recompute.
    heap_settle()
    threading.Thread(
        target=_orphan_watch, args=(parent_pid,), name="orphan-watch", daemon=True
    ).start()


def _orphan_watch(parent_pid: int) -> None:
    """Exit when the parent is gone: its pipes stay open in this child (the executor's
    queues hold both ends), so a parent killed with -9 would leave it waiting forever."""
    while os.getppid() == parent_pid:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(0)


_applied: dict[str, Any] = {}  # the parent's overrides this child runs with
_originals: dict[str, Any] = {}  # the values they replaced


def _child_call(fn: Callable[..., T], overrides: dict[str, Any], kwargs: dict[str, Any]) -> T:
    if overrides != _applied:
        _overrides_apply(overrides)
    return fn(**kwargs)


def _overrides_apply(overrides: dict[str, Any]) -> None:
    from lib.aws import clients_reset
    from lib.redis_clients import redis_clients_reset

    for name in list(_applied):
        if name not in overrides:
            original = _originals.pop(name)
            if original is _MISSING:
                delattr(settings, name)
            else:
                setattr(settings, name, original)
    for name, value in overrides.items():
        if name not in _originals:
            _originals[name] = getattr(settings, name, _MISSING)
        setattr(settings, name, value)
    _applied.clear()
    _applied.update(overrides)
    redis_clients_reset()  # clients made under the old settings (a test's own Redis)
    clients_reset()

"""``python -m bench.socket_revoke``: how soon a live socket closes after its
session ends or its user is deactivated, through a real uvicorn web process.

Reuses the fan-out bench's private stack (``bench.fanout.Bench``, on
``bench.harness``): free ports,
a migrated SQLite database, one trader with logged-in sessions, uvicorn as the
Procfile runs it. For each action, a ``websockets`` client opens
``/ws/spot-risk/``, reads its snapshot, the bench process performs the action
(which publishes through the real messaging Redis), and the client reports the
seconds until the server's close, its code and the frames it got in between.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.fanout import Bench


async def _close_after(*, port: int, cookie: str, action: Callable[[], None]) -> str:
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/ws/spot-risk/"
    headers = {"Cookie": cookie, "Origin": f"http://127.0.0.1:{port}"}
    async with connect(url, additional_headers=headers) as ws:
        await asyncio.wait_for(ws.recv(), 10)  # the snapshot: served
        started = time.monotonic()
        await asyncio.to_thread(action)
        frames = 0
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 20)
                frames += 1
        except TimeoutError:
            return "still open after 20 s"
        except Exception:
            seconds = time.monotonic() - started
            return f"closed after {seconds:.3f} s, code {ws.close_code}, {frames} frame(s) between"


def main() -> None:
    run_dir = Path(tempfile.mkdtemp(prefix="frgm-bench-revoke-"))
    bench = Bench(run_dir)
    print(f"starting the stack and a uvicorn web process in {run_dir} ...", flush=True)
    bench.start()
    try:
        from django.contrib.auth.models import User
        from django.contrib.sessions.backends.db import SessionStore

        logged_out, deactivated = bench.sessions(2)
        key = logged_out.split("=", 1)[1]

        def log_out() -> None:  # what logout does to the session
            SessionStore(session_key=key).delete()

        def deactivate() -> None:
            user = User.objects.get(username="bench-trader")
            user.is_active = False
            user.save()

        for name, cookie, action in (
            ("session ended (logout)", logged_out, log_out),
            ("user deactivated", deactivated, deactivate),
        ):
            result = asyncio.run(_close_after(port=bench.port, cookie=cookie, action=action))
            print(f"{name}: {result}", flush=True)
    finally:
        bench.stop()
        shutil.rmtree(run_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

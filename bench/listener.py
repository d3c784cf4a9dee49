"""A stand-in web process: subscribe to every feed's all-updates group and note
when the first update of each file arrives.

``python -m bench.listener REDIS_URL OUT GROUP...``: one channel-layer channel
(as one websocket consumer has), added to each group; OUT receives one line per
file, ``key<TAB>epoch seconds`` of its first update. Runs until terminated.
Having a member in the groups also makes the worker's ``group_send`` do the
per-channel work it does in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from pathlib import Path

from channels_redis.core import RedisChannelLayer


async def listen(url: str, out_path: str, groups: list[str]) -> None:
    # redis-py >= 8 reads with a 5 s socket timeout by default, the same as
    # channels_redis's blocking BZPOPMIN: an idle receive() then raises
    # TimeoutError (django/channels_redis#422). Allow the block to finish.
    layer = RedisChannelLayer(
        hosts=[{"address": url, "socket_timeout": 15}], capacity=1000, expiry=10
    )
    channel = await layer.new_channel()
    for group in groups:
        await layer.group_add(group, channel)
    Path(out_path + ".ready").write_text("ready\n")
    seen: set[str] = set()
    with Path(out_path).open("w") as out:
        while True:
            message = await layer.receive(channel)
            arrived = time.time()
            key = str(message.get("key", ""))
            if key and key not in seen:
                seen.add(key)
                out.write(f"{key}\t{arrived:.6f}\n")
                out.flush()


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    url, out_path, *groups = sys.argv[1:]
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(listen(url, out_path, groups))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A live socket's connect takes ONE turn on the web process's database thread.

Every ``database_sync_to_async`` (and ``sync_to_async``) call is a turn on the one
thread that Channels keeps for the database; 500 sockets reconnecting to a
restarted web process queue there. A connect used to take three: Channels' clean-up
of stale connections before the handler, the session and the user, then the
user's roles, each opening its own connection (``CONN_MAX_AGE`` 0).
"""

from __future__ import annotations

import pytest
from asgiref.sync import SyncToAsync

from .conftest import connect, frame

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def db_thread_turns(monkeypatch) -> list[str]:
    """The functions the web side ran on the sync thread, in order (the test's own
    login for the cookie left out)."""
    turns: list[str] = []
    original = SyncToAsync.thread_handler

    def counted(self, loop, *args, **kwargs):  # type: ignore[no-untyped-def]
        name = getattr(self.func, "__name__", repr(self.func))
        if name != "session_cookie":
            turns.append(name)
        return original(self, loop, *args, **kwargs)

    monkeypatch.setattr(SyncToAsync, "thread_handler", counted)
    return turns


@pytest.mark.parametrize("path", ["/ws/spot-risk/", "/ws/ladder/"])
async def test_a_live_socket_connect_takes_one_turn_on_the_database_thread(
    stack, trader, live_settings, db_thread_turns, path
) -> None:
    first = await connect(path, trader)  # the hub and the socket guard start here
    assert (await frame(first))["type"] in {"snapshot", "error"}
    db_thread_turns.clear()

    second = await connect(path, trader)
    assert (await frame(second))["type"] in {"snapshot", "error"}

    assert db_thread_turns == ["socket_user"]
    for ws in (first, second):
        await ws.disconnect()


async def test_the_roles_read_with_the_user_still_refuse_a_socket_without_the_role(
    stack, oncall, live_settings, db_thread_turns
) -> None:
    ws = await connect("/ws/spot-risk/", oncall)
    closed = await frame(ws, kinds=("close",))
    assert closed == {"type": "close", "code": 4403}
    assert db_thread_turns == ["socket_user"]

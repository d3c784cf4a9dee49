"""Shared fixtures: the real local stack, persona users, logged-in clients."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from devstack.processes import Server, free_port, redis_start
from devstack.standins import Stack, stack_settings, stack_start
from lib.aws import client, clients_reset
from lib.redis_clients import redis_clients_reset
from ops.models import SecretReference


@pytest.fixture(scope="session", autouse=True)
def password_hashing_fast() -> Iterator[None]:
    """Django's default hasher (PBKDF2, a million rounds) spends ~0.25 s of CPU on each
    password set or checked, on purpose; every persona the tests create paid it, a
    large share of the suite's CPU on two cores. The tests are about who may log in,
    not about the hash's cost: MD5 here. The product keeps Django's default (no
    ``PASSWORD_HASHERS`` in ``frgm_site/settings.py``), and so does every process a
    test starts (``test_image_commands``, ``make run``, the drills)."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Private Redis servers (state store as a one-node cluster) and moto's server."""
    stack = stack_start(tmp_path_factory.mktemp("stack"))
    overrides = override_settings(**stack_settings(stack))
    overrides.enable()
    saved_env = os.environ.get("AWS_ENDPOINT_URL")
    os.environ["AWS_ENDPOINT_URL"] = stack.aws_url
    clients_reset()
    redis_clients_reset()
    try:
        from feeds.bootstrap import local_resources_ensure

        local_resources_ensure()
        yield stack
    finally:
        overrides.disable()
        if saved_env is None:
            os.environ.pop("AWS_ENDPOINT_URL", None)
        else:
            os.environ["AWS_ENDPOINT_URL"] = saved_env
        clients_reset()
        redis_clients_reset()
        stack.stop()


@pytest.fixture
def stack(local_stack: Stack) -> Stack:
    """The running stack, with both Redis servers emptied for this test."""
    for port in (local_stack.state.port, local_stack.messaging.port):
        conn = redis.Redis(port=port)
        conn.flushall()
        conn.close()
    from ladder.api_cache import api_cache_clear

    api_cache_clear()  # answers computed from the state just emptied
    return local_stack


def _persona(username: str, *roles: str) -> User:
    user = User.objects.create_user(username=username, password="pw-" + username)
    for role in roles:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if "admin" in roles:
        user.is_staff = user.is_superuser = True
        user.save()
    return user


@pytest.fixture
def trader(db: None) -> User:
    return _persona("tina-trader", "trader")


@pytest.fixture
def oncall(db: None) -> User:
    return _persona("oscar-oncall", "oncall")


@pytest.fixture
def administrator(db: None) -> User:
    return _persona("ada-admin", "admin")


@pytest.fixture
def roleless(db: None) -> User:
    return _persona("nora-norole")


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
async def live_hub_stopped() -> AsyncIterator[None]:
    """Stop the live hub a websocket test started, before its event loop closes.

    Each event loop gets its own hub (``ladder.hub``); left running, its tasks were
    cancelled only as pytest-asyncio closed the loop, and a channel-layer receive
    cancelled that late could hang the teardown.
    """
    yield
    from ladder import hub

    running = hub._HUBS.pop(asyncio.get_running_loop(), None)
    if running is not None:
        await running.stop()


@pytest.fixture
def planted_secret(stack: Stack) -> tuple[SecretReference, str]:
    """A secret in the local Secrets Manager whose value is a canary."""
    canary = f"canary-{uuid.uuid4().hex}"
    created = client("secretsmanager").create_secret(
        Name=f"frgm/tt-api-{uuid.uuid4().hex[:6]}", SecretString=canary
    )
    reference = SecretReference.objects.create(
        name="TT API key",
        arn=created["ARN"],
        purpose="feed server polls TT",
        used_by="feed server",
        rotation_days=90,
        owner="desk-tech",
    )
    return reference, canary


@dataclass
class OwnStateStore:
    """A state store of the test's own: a one-node cluster, durable, so a restart on
    the same port comes back with its data, as MemoryDB does."""

    port: int
    data_dir: Path
    server: Server | None = None

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()

    def start(self) -> None:
        self.server = redis_start(
            name="state", port=self.port, data_dir=self.data_dir, cluster=True, durable=True
        )


@pytest.fixture
def own_state_store(stack, tmp_path) -> Iterator[OwnStateStore]:
    port = free_port()
    store = OwnStateStore(port, tmp_path / "state")
    store.start()
    with override_settings(FRGM_STATE_REDIS_URL=f"redis://127.0.0.1:{port}/0"):
        redis_clients_reset()
        yield store
    store.stop()
    redis_clients_reset()


# Folders whose tests share an expensive per-process start-up: each xdist worker that
# ran one of their modules would pay it again. tests/cdk starts the jsii Node runtime
# and loads aws-cdk-lib (~10 s of CPU) before its first synth.
SHARED_SCOPES = ("tests/cdk/",)

# The longest units of work, as measured by full runs on 6 workers (docs/PERFORMANCE.md
# "Test loop"), in the order they are handed out. A unit is a module (or one of
# SHARED_SCOPES); one missing from here only loses its head start. The first six
# start at once, one per worker; a worker whose unit holds one or two tests is
# given the next one at once too (xdist keeps two or more queued), to run after it.
# The web-restart drill measures its RTO against a 15 s target, so it comes seventh:
# behind the CSP test, after the start-up burst (six workers collecting and
# starting their stand-ins) rather than in it.
LONGEST_FIRST = (
    "tests/site/test_production_checks.py",  # a Django process per unsafe setting
    "tests/site/test_image_commands.py",  # the image venv (built once per lock), processes
    "tests/ops/test_ops_scheduler.py",
    "tests/browser/test_content_security_policy.py",
    "tests/devstack/test_make_run.py",
    "tests/feeds/ingest/test_worker_process.py",
    "tests/bench/test_drill_web_restart.py",  # a whole devstack and 100 websockets
    "tests/site/test_settings.py",
    "tests/feeds/ingest/test_worker_health.py",
    "tests/site/test_postgresql.py",
    "tests/feeds/ingest/test_state_store_outage.py",
    "tests/feeds/simulator/test_sim_options_book.py",
)


def _shared_scope(nodeid: str) -> str | None:
    return next((scope for scope in SHARED_SCOPES if nodeid.startswith(scope)), None)


def _unit(nodeid: str) -> str:
    """The unit of work ``--dist loadscope`` hands to one worker (``SharedScopes``)."""
    return _shared_scope(nodeid) or nodeid.split("::", 1)[0]


def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """``--dist loadscope`` with each of ``SHARED_SCOPES`` as one unit of work (a
    module is one otherwise), handed out in the order of the collection, which
    ``pytest_collection_modifyitems`` sets."""
    if config.getoption("dist", None) != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    # xdist's own reorder (by number of tests per unit, on by default since 3.6) would
    # hand the one-test web-restart drill out last, to end the run 50 s after the rest.
    config.option.loadscopereorder = False

    class SharedScopes(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

    return SharedScopes(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On several workers (``make test``) the longest units are handed out first, so
    they run beside the short ones instead of forming the tail: ``LONGEST_FIRST``,
    then the units with a test marked ``slow`` (browsers, subprocesses), then the
    shared scopes, then the rest by their number of tests, most first (what xdist
    would do). Each unit's tests keep their order and stay together."""
    if not hasattr(config, "workerinput"):  # not an xdist worker: the order is kept
        return  # (a worker's ``numprocesses`` is None: xdist resets it there)
    sizes = Counter(_unit(item.nodeid) for item in items)
    slow = {_unit(item.nodeid) for item in items if item.get_closest_marker("slow")}
    first_seen: dict[str, int] = {}
    for index, item in enumerate(items):
        first_seen.setdefault(_unit(item.nodeid), index)

    def rank(item: pytest.Item) -> tuple[int, bool, bool, int, int]:
        unit = _unit(item.nodeid)
        measured = LONGEST_FIRST.index(unit) if unit in LONGEST_FIRST else len(LONGEST_FIRST)
        return (
            measured,
            unit not in slow,
            _shared_scope(unit) is None,
            -sizes[unit],
            first_seen[unit],
        )

    items.sort(key=rank)

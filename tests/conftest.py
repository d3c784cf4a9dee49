"""Shared fixtures: the real local stack, persona users, logged-in clients."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from devstack.processes import Server, free_port, redis_start
from frgm_site.channel_layers import channel_layers_config
from lib.aws import client, clients_reset
from lib.redis_clients import redis_clients_reset
from ops.models import SecretReference
from tests.stack import Stack, stack_start


def stack_settings(stack: Stack) -> dict[str, object]:
    """Settings that point the product at ``stack``."""
    return {
        "FRGM_STATE_REDIS_URL": stack.state_url,
        "FRGM_MESSAGING_REDIS_URL": stack.messaging_url,
        "AWS_ENDPOINT_URL": stack.aws_url,
        "CELERY_BROKER_URL": stack.messaging_url,
        "CHANNEL_LAYERS": channel_layers_config(stack.messaging_url),
    }


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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On several workers (``make test``) the tests marked ``slow`` are handed out first,
    so the longest ones (image build, browsers, subprocesses) run beside the short ones
    instead of forming the tail; the order within each group is kept."""
    if getattr(config.option, "numprocesses", None):
        items.sort(key=lambda item: item.get_closest_marker("slow") is None)

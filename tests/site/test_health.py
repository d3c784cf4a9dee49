"""/healthz says the process answers; /readyz checks every dependency."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config
from django.test import override_settings

from devstack.processes import free_port, redis_start
from frgm_site import health
from lib.redis_clients import redis_clients_reset
from tests.conftest import logged_in


@pytest.mark.django_db
def test_healthz_answers_anyone_without_details(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_healthz_answers_the_load_balancer_at_the_tasks_private_address(client) -> None:
    # The ALB's probe names the task's own IP as Host, which ALLOWED_HOSTS never lists.
    response = client.get("/healthz", HTTP_HOST="10.41.9.17:8000")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    # Every other path still refuses an unknown host.
    assert client.get("/readyz", HTTP_HOST="10.41.9.17:8000").status_code == 400


@pytest.mark.django_db
def test_readyz_reports_every_dependency_healthy(client, stack) -> None:
    response = client.get("/readyz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "state_store",
        "messaging",
        "s3",
        "sqs",
        "dynamodb",
        "secretsmanager",
        "cloudwatch",
    }
    assert all(check["ok"] for check in body["checks"].values())


@pytest.fixture
def doomed_messaging_redis(stack, tmp_path):
    """A messaging Redis of this test's own, so stopping it harms no other test."""
    server = redis_start(
        name="doomed", port=free_port(), data_dir=tmp_path, cluster=False, durable=False
    )
    with override_settings(FRGM_MESSAGING_REDIS_URL=f"redis://127.0.0.1:{server.port}/0"):
        redis_clients_reset()
        yield server
    server.stop()
    redis_clients_reset()


@pytest.mark.django_db
def test_readyz_is_503_when_redis_is_stopped(client, doomed_messaging_redis) -> None:
    assert client.get("/readyz").status_code == 200
    doomed_messaging_redis.stop()
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["messaging"]["ok"] is False
    assert "Connection" in body["checks"]["messaging"]["detail"]  # loopback sees why
    assert body["checks"]["state_store"]["ok"] is True


@pytest.mark.django_db
def test_readyz_hides_failure_details_from_strangers(
    client, doomed_messaging_redis, administrator
) -> None:
    doomed_messaging_redis.stop()
    stranger = client.get("/readyz", REMOTE_ADDR="10.1.2.3").json()
    assert stranger["checks"]["messaging"] == {
        "ok": False,
        "ms": stranger["checks"]["messaging"]["ms"],
    }
    admin_view = logged_in(administrator).get("/readyz", REMOTE_ADDR="10.1.2.3").json()
    assert "detail" in admin_view["checks"]["messaging"]


@pytest.mark.django_db
def test_readyz_hides_details_from_a_forged_loopback_address(
    client, doomed_messaging_redis
) -> None:
    doomed_messaging_redis.stop()
    forged = client.get("/readyz", REMOTE_ADDR="10.1.2.3", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert "detail" not in forged.json()["checks"]["messaging"]
    # A loopback peer that forwards someone else's request is a proxy, not the box itself.
    proxied = client.get("/readyz", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert "detail" not in proxied.json()["checks"]["messaging"]
    assert "detail" in client.get("/readyz", REMOTE_ADDR="127.0.0.1").json()["checks"]["messaging"]


@pytest.mark.django_db
def test_readyz_is_503_when_secrets_manager_cannot_be_reached(client, stack, monkeypatch) -> None:
    # moto always answers; Secrets Manager alone at an address nobody listens on
    # is the outage (a real refused connection, not a faked reply).
    unreachable = boto3.session.Session(
        aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1"
    ).client(
        "secretsmanager",
        endpoint_url=f"http://127.0.0.1:{free_port()}",
        config=Config(connect_timeout=1, retries={"max_attempts": 1}),
    )
    real = health.client
    monkeypatch.setattr(
        health,
        "client",
        lambda service, **kw: unreachable if service == "secretsmanager" else real(service, **kw),
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["secretsmanager"]["ok"] is False
    assert "EndpointConnectionError" in checks["secretsmanager"]["detail"]
    assert all(check["ok"] for name, check in checks.items() if name != "secretsmanager")

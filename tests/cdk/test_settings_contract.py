"""A container the stack launches never dies on a missing setting: every task
definition's environment and secret names, and nothing else, start
``frgm_site.settings`` in prod mode and pass ``manage.py check --deploy``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from deploy.cdk.environments import ENVIRONMENTS
from tests.cdk.conftest import Synthesized, resources

REPO = Path(__file__).resolve().parents[2]

# What a token (an endpoint, a bucket name ...) stands for once deployed, by setting.
_RESOLVED = {
    "FRGM_STATE_REDIS_HOST": "clustercfg.frgm-state.abc123.memorydb.us-east-1.amazonaws.com",
    "FRGM_MESSAGING_REDIS_HOST": "master.frgm-messaging.abc123.use1.cache.amazonaws.com",
}
# What a secret holds once generated (ECS hands the value, or one JSON field of it).
_SECRET_VALUES = {
    "DATABASE_HOST": "frgm.abc123.us-east-1.rds.amazonaws.com",
    "DATABASE_PORT": "5432",
    "DATABASE_NAME": "frgm",
    "DATABASE_USER": "frgm",
    "FRGM_STATE_REDIS_USER": "frgm-app",
    "FRGM_HEARTBEAT_URL": "off",  # as the stack creates it, until a ping URL is put in
}

PROBE = """
import json, django
from django.conf import settings
from django.core.management import call_command
django.setup()
call_command("check", deploy=True, fail_level="WARNING")
from django.test import Client
# The ALB's health check: plain HTTP to the task's own address, which no ALLOWED_HOSTS names.
health = Client().get("/healthz", HTTP_HOST="10.41.9.17:8000", REMOTE_ADDR="10.41.0.12")
print(json.dumps({
    "alb_health_check": health.status_code,
    "production": settings.PRODUCTION,
    "database": settings.DATABASES["default"]["ENGINE"],
    "database_host": settings.DATABASES["default"]["HOST"],
    "state": settings.FRGM_STATE_REDIS_URL,
    "messaging": settings.FRGM_MESSAGING_REDIS_URL,
    "broker": settings.CELERY_BROKER_URL,
    "broker_verifies_tls": settings.CELERY_BROKER_USE_SSL == {"ssl_cert_reqs": 2},
    "table": settings.FRGM_HISTORY_TABLE,
}))
"""


def container_environments(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each container's environment as it starts: plain values (tokens resolved to
    deploy-like stand-ins) and secrets (placeholders of the right shape)."""
    found = {}
    for definition in resources(template, "AWS::ECS::TaskDefinition").values():
        for container in definition["Properties"]["ContainerDefinitions"]:
            environment = {}
            for item in container.get("Environment", []):
                value = item["Value"]
                if not isinstance(value, str):
                    value = _RESOLVED.get(item["Name"], f"frgm-resolved-{item['Name'].lower()}")
                environment[item["Name"]] = value
            for item in container.get("Secrets", []):
                environment[item["Name"]] = _SECRET_VALUES.get(
                    item["Name"], f"placeholder-{item['Name'].lower()}-" + "x" * 50
                )
            found[f"{definition['Properties']['Family']}/{container['Name']}"] = environment
    return found


def _start(environment: dict[str, str]) -> subprocess.Popen[str]:
    # Exactly the container's variables: nothing from this shell or .env leaks in.
    clean = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "frgm_site.settings",
        **environment,
    }
    return subprocess.Popen(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        env=clean,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_every_container_starts_prod_settings_and_passes_the_deploy_check(
    synthesized: Synthesized,
) -> None:
    containers = {
        f"{env}:{name}": environment
        for env in ENVIRONMENTS
        for name, environment in container_environments(synthesized.raw(env)).items()
    }
    assert len(containers) == 2 * 4  # web, migrate, worker, scheduler in each environment
    # Containers with the same variables prove the same thing: start each set once.
    distinct: dict[str, dict[str, str]] = {}
    for _name, environment in containers.items():
        distinct.setdefault(json.dumps(environment, sort_keys=True), environment)
    started = [(environment, _start(environment)) for environment in distinct.values()]
    for environment, process in started:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err[-3000:]
        seen = json.loads(out.strip().splitlines()[-1])
        assert seen["production"] is True
        assert seen["alb_health_check"] == 200
        assert seen["database"] == "django.db.backends.postgresql"
        assert seen["database_host"] == _SECRET_VALUES["DATABASE_HOST"]
        assert seen["state"].startswith("rediss://frgm-app:placeholder-frgm_state_redis_password")
        assert seen["state"].endswith(f"@{_RESOLVED['FRGM_STATE_REDIS_HOST']}:6379/")
        assert seen["messaging"].startswith("rediss://:placeholder-frgm_messaging_redis_password")
        assert seen["broker"] == seen["messaging"]
        assert seen["broker_verifies_tls"] is True  # ssl.CERT_REQUIRED
        assert seen["table"] == environment["FRGM_HISTORY_TABLE"]


def test_secrets_reach_containers_as_secrets_never_as_plain_values(
    synthesized: Synthesized,
) -> None:
    secret_names = {
        "DJANGO_SECRET_KEY",
        "DATABASE_PASSWORD",
        "FRGM_STATE_REDIS_PASSWORD",
        "FRGM_MESSAGING_REDIS_PASSWORD",
    }
    for env in ENVIRONMENTS:
        for definition in resources(synthesized.raw(env), "AWS::ECS::TaskDefinition").values():
            for container in definition["Properties"]["ContainerDefinitions"]:
                plain = {item["Name"] for item in container.get("Environment", [])}
                secret = {item["Name"] for item in container.get("Secrets", [])}
                assert secret_names <= secret
                assert not plain & secret_names
                assert not any("URL" in name and "PUBLIC" not in name for name in plain)

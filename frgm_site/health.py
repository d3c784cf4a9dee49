"""Liveness (/healthz) and readiness (/readyz).

/healthz says only that the process answers. /readyz checks each dependency
in parallel; failure details are shown only to admins or on loopback, since
error text can name hosts and users.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers

from lib.aws import client
from lib.redis_clients import messaging, state_store

READY_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    millis: float
    detail: str = ""


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _state_store() -> None:
    store = state_store()
    store.ping(target_nodes=store.ALL_NODES)


def _messaging() -> None:
    messaging().ping()


def _s3() -> None:
    client("s3", attempts=1).head_bucket(Bucket=settings.FRGM_FEED_BUCKET)


def _sqs() -> None:
    client("sqs", attempts=1).get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)


def _dynamodb() -> None:
    client("dynamodb", attempts=1).describe_table(TableName=settings.FRGM_HISTORY_TABLE)


def _secretsmanager() -> None:
    # One secret's metadata at most: reachable and permitted, nothing read.
    client("secretsmanager", attempts=1).list_secrets(MaxResults=1)


def _cloudwatch() -> None:
    # The call the ops pages make for alarm states, cut to one alarm.
    client("cloudwatch", attempts=1).describe_alarms(MaxRecords=1)


CHECKS: dict[str, Callable[[], None]] = {
    "database": _database,
    "state_store": _state_store,
    "messaging": _messaging,
    "s3": _s3,
    "sqs": _sqs,
    "dynamodb": _dynamodb,
    "secretsmanager": _secretsmanager,
    "cloudwatch": _cloudwatch,
}


def _run(name: str, check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as exc:
        return CheckResult(name, False, _ms(started), f"{type(exc).__name__}: {exc}")
    finally:
        if name == "database":
            connection.close()  # the check ran in a pool thread; do not leak its connection
    return CheckResult(name, True, _ms(started))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def readiness_check() -> list[CheckResult]:
    pool = ThreadPoolExecutor(max_workers=len(CHECKS), thread_name_prefix="readyz")
    futures = {name: pool.submit(_run, name, check) for name, check in CHECKS.items()}
    deadline = time.monotonic() + READY_TIMEOUT_S
    results = []
    for name, future in futures.items():
        try:
            results.append(future.result(timeout=max(0.0, deadline - time.monotonic())))
        except TimeoutError:
            results.append(CheckResult(name, False, READY_TIMEOUT_S * 1000, "timed out"))
    # A hung dependency must not hold the probe: leave stragglers behind.
    pool.shutdown(wait=False, cancel_futures=True)
    return results


def process_restarts() -> dict[str, int] | None:
    """Each process's restart count under `make run` (devstack's supervisor writes
    them), or None when nothing supervises this process or the file is unreadable."""
    path = settings.FRGM_SUPERVISOR_STATE_FILE
    if not path:
        return None
    try:
        state = json.loads(Path(path).read_text())
        return {name: int(entry["restarts"]) for name, entry in state["processes"].items()}
    except (OSError, ValueError, KeyError, TypeError):
        return None


class LivenessMiddleware:
    """Answers the load balancer's ``GET /healthz`` before anything checks the Host
    header: the ALB probes each task at its own private address (``Host: 10.x.y.z:8000``),
    which ALLOWED_HOSTS does not and should not name, so Django would answer 400 and
    the ALB would never see a healthy target. The answer says nothing but "ok"."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method == "GET":
            response = JsonResponse({"status": "ok"})
            add_never_cache_headers(response)
            return response
        return self.get_response(request)

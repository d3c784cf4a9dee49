"""Lazy boto3 clients with explicit timeouts and retries.

One place builds every AWS client, so the endpoint (moto's server locally,
AWS in production), region, timeouts and retry policy are the same for all.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings


class AwsUnavailable(RuntimeError):
    """An AWS API (or its local stand-in) could not be reached or refused a call."""


@cache
def _session() -> boto3.session.Session:
    if settings.AWS_LOCAL_CREDENTIALS:
        # moto accepts any key; a fixed dummy keeps real credentials out of local runs.
        return boto3.session.Session(
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto's stand-in key
            region_name=settings.AWS_REGION,
        )
    return boto3.session.Session(region_name=settings.AWS_REGION)


@cache
def client(service: str, *, attempts: int = 3) -> Any:
    """A boto3 client for ``service`` (``s3``, ``sqs``, ``dynamodb``, ...).

    ``attempts=1`` suits probes that must answer fast rather than ride out a blip.
    """
    config = Config(
        connect_timeout=settings.AWS_TIMEOUT_S,
        read_timeout=max(settings.AWS_TIMEOUT_S, 25.0)
        if service == "sqs"
        else settings.AWS_TIMEOUT_S,
        retries={"max_attempts": attempts, "mode": "standard"},
        # Path-style addressing works with moto and with real S3 alike.
        s3={"addressing_style": "path"},
    )
    return _session().client(
        service,
        endpoint_url=settings.AWS_ENDPOINT_URL or None,
        config=config,
    )


def clients_reset() -> None:
    """Forget cached clients (tests that point at another endpoint call this)."""
    client.cache_clear()
    _session.cache_clear()

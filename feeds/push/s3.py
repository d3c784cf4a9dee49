"""The producer's S3 client: short timeouts, no retries of its own (the producer
retries in order, with backoff and jitter, and spools meanwhile)."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from feeds.push.producer import PUT_CONCURRENCY

TIMEOUT_S = 5.0


def s3_client(*, endpoint_url: str | None = None, region: str | None = None) -> Any:
    return boto3.session.Session(region_name=region).client(
        "s3",
        endpoint_url=endpoint_url,
        config=Config(
            connect_timeout=TIMEOUT_S,
            read_timeout=TIMEOUT_S,
            retries={"max_attempts": 1, "mode": "standard"},
            max_pool_connections=PUT_CONCURRENCY,  # a chunk batch's PUTs at once
            s3={"addressing_style": "path"},
        ),
    )

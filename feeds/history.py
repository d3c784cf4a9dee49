"""History in DynamoDB: one compressed snapshot item and one metrics item per file.

Keys (DESIGN.md "Storage layout"): partition ``{feed}#{yyyy-mm-dd}``, sort
``{file time}#{object key}#{object version}``; metrics under
``metrics#{feed}#{yyyy-mm-dd}``. The version (the S3 version id, or the ETag
of an object from before versioning) makes a re-upload of a key a new file
with items of its own. Writes are conditional on the item not existing, so a
redelivered file (the same version) writes nothing twice. Readers take the
file time from the front of the sort key and the key from ``object_key``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from feeds.aws import AwsUnavailable, client
from feeds.records import Feed

METRICS_PREFIX = "metrics#"
# Level 3 takes half the CPU of 6 for ~16 % more bytes; items stay far below 400 KB.
ZLIB_LEVEL = 3
# DynamoDB's TTL attribute (epoch seconds) on every item; the CDK table names it too.
TTL_ATTRIBUTE = "expires_at"


@dataclass(frozen=True)
class HistoryKey:
    pk: str
    sk: str


def history_key(
    *,
    feed: Feed,
    trading_date: date,
    file_time: datetime | None,
    object_key: str,
    version: str | None = None,
    metrics: bool = False,
) -> HistoryKey:
    stamp = (file_time or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pk = f"{feed}#{trading_date.isoformat()}"
    sk = f"{stamp}#{object_key}" + (f"#{version}" if version else "")
    return HistoryKey(pk=f"{METRICS_PREFIX}{pk}" if metrics else pk, sk=sk)


def _number(value: Any) -> Any:
    """DynamoDB numbers must be Decimal; None becomes NULL."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | float | Decimal):
        return {"N": str(Decimal(str(value)))}
    return {"S": str(value)}


def _put_once(item: dict[str, Any]) -> bool:
    """Put unless present. True when written, False when it was already there."""
    try:
        client("dynamodb").put_item(
            TableName=settings.FRGM_HISTORY_TABLE,
            Item=item,
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise AwsUnavailable(f"DynamoDB put_item: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsUnavailable(f"DynamoDB put_item: {exc}") from exc
    return True


def history_items_build(
    *,
    feed: Feed,
    trading_date: date,
    file_time: datetime | None,
    object_key: str,
    version_id: str | None,
    rows: dict[str, str],
    metrics: dict[str, Any],
    attributes: dict[str, Any],
    retention_days: int,
    etag: str | None = None,
    now: datetime | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file's snapshot and metrics items as DynamoDB writes them (pure: the cost
    model, deploy/cdk/cost.py, sizes them with this too)."""
    version = version_id or etag  # what tells this file from another upload of its key
    snapshot = history_key(
        feed=feed,
        trading_date=trading_date,
        file_time=file_time,
        object_key=object_key,
        version=version,
    )
    body = zlib.compress(
        ("{" + ",".join(f"{orjson.dumps(k).decode()}:{v}" for k, v in rows.items()) + "}").encode(),
        ZLIB_LEVEL,
    )
    # The table's TTL: DynamoDB deletes the items this long after the file's time.
    born = file_time or now or datetime.now(UTC)
    expires = int(born.timestamp()) + retention_days * 86400
    common = {
        "object_key": {"S": object_key},
        "version_id": _number(version_id),
        TTL_ATTRIBUTE: {"N": str(expires)},
        **{name: _number(value) for name, value in attributes.items()},
    }
    metric_key = history_key(
        feed=feed,
        trading_date=trading_date,
        file_time=file_time,
        object_key=object_key,
        version=version,
        metrics=True,
    )
    snapshot_item = {
        "pk": {"S": snapshot.pk},
        "sk": {"S": snapshot.sk},
        "rows": {"B": body},
        "row_count": {"N": str(len(rows))},
        **common,
    }
    metrics_item = {
        "pk": {"S": metric_key.pk},
        "sk": {"S": metric_key.sk},
        **common,
        **{name: _number(value) for name, value in metrics.items()},
    }
    return snapshot_item, metrics_item


def history_write(
    *,
    feed: Feed,
    trading_date: date,
    file_time: datetime | None,
    object_key: str,
    version_id: str | None,
    rows: dict[str, str],
    metrics: dict[str, Any],
    attributes: dict[str, Any],
    etag: str | None = None,
) -> bool:
    """Write the file's snapshot and metrics items; False when both existed already."""
    snapshot_item, metrics_item = history_items_build(
        feed=feed,
        trading_date=trading_date,
        file_time=file_time,
        object_key=object_key,
        version_id=version_id,
        rows=rows,
        metrics=metrics,
        attributes=attributes,
        retention_days=settings.FRGM_HISTORY_RETENTION_DAYS,
        etag=etag,
    )
    wrote = _put_once(snapshot_item)
    wrote_metrics = _put_once(metrics_item)
    return wrote or wrote_metrics


@dataclass(frozen=True)
class HistoryItem:
    sk: str
    object_key: str
    attributes: dict[str, Any]
    rows: dict[str, Any] | None  # None for metrics items


def _plain(attr: dict[str, Any]) -> Any:
    kind, value = next(iter(attr.items()))
    if kind == "N":
        return Decimal(value)
    if kind == "NULL":
        return None
    if kind == "B":
        return json.loads(zlib.decompress(value))
    return value


def history_items(
    *,
    feed: Feed,
    day: date,
    metrics: bool = False,
    start_after: str | None = None,
    limit: int = 100,
    newest_first: bool = False,
) -> tuple[list[HistoryItem], str | None]:
    """One page of a day's items and the sort key to continue after (None at the end)."""
    pk = f"{METRICS_PREFIX if metrics else ''}{feed}#{day.isoformat()}"
    query: dict[str, Any] = {
        "TableName": settings.FRGM_HISTORY_TABLE,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": pk}},
        "Limit": limit,
        "ScanIndexForward": not newest_first,
    }
    if start_after:
        query["ExclusiveStartKey"] = {"pk": {"S": pk}, "sk": {"S": start_after}}
    try:
        reply = client("dynamodb").query(**query)
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"DynamoDB query: {exc}") from exc
    items = [
        HistoryItem(
            sk=raw["sk"]["S"],
            object_key=raw.get("object_key", {}).get("S", ""),
            attributes={
                k: _plain(v) for k, v in raw.items() if k not in {"pk", "sk", "rows", TTL_ATTRIBUTE}
            },
            rows=_plain(raw["rows"]) if "rows" in raw else None,
        )
        for raw in reply.get("Items", [])
    ]
    last = reply.get("LastEvaluatedKey")
    return items, (last["sk"]["S"] if last else None)


def history_walk(*, feed: Feed, day: date, metrics: bool = False) -> Iterator[HistoryItem]:
    cursor: str | None = None
    while True:
        items, cursor = history_items(feed=feed, day=day, metrics=metrics, start_after=cursor)
        yield from items
        if cursor is None:
            return

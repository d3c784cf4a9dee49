"""History in DynamoDB: one compressed snapshot item and one metrics item per file.

Keys (DESIGN.md "Storage layout"): partition ``{feed}#{yyyy-mm-dd}``, sort
``{file time}#{object key}#{object version}``; metrics under
``metrics#{feed}#{yyyy-mm-dd}``. The version (the S3 version id, or the ETag
of an object from before versioning) makes a re-upload of a key a new file
with items of its own. Writes are conditional on the item not existing, so a
redelivered file (the same version) writes nothing twice. Readers take the
file time from the front of the sort key and the key from ``object_key``.

The one exception to "never overwrite": a spot-risk file derived before any
future price or vtexp existed (a new or wiped state store) is written with
``greeks_missing`` on both items and listed under ``greeks_missing#{feed}#{day}``;
``history_greeks_repair`` later fills in its rows' Greeks, only while the mark
is there, and removes mark and listing (``feeds.self_heal``).
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

from feeds.records import Feed
from lib.aws import AwsUnavailable, client

METRICS_PREFIX = "metrics#"
GREEKS_MISSING = "greeks_missing"  # as feeds.derive.GREEKS_MISSING: the metric and the mark
REPAIR_PREFIX = f"{GREEKS_MISSING}#"
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


def _conditional(operation: str, **request: Any) -> bool:
    """A conditional DynamoDB write: True when written, False when its condition
    failed (the item was there already, or is no longer marked)."""
    try:
        getattr(client("dynamodb"), operation)(**request)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return False
        raise AwsUnavailable(f"DynamoDB {operation}: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsUnavailable(f"DynamoDB {operation}: {exc}") from exc
    return True


def _put_once(item: dict[str, Any]) -> bool:
    """Put unless present. True when written, False when it was already there."""
    return _conditional(
        "put_item",
        TableName=settings.FRGM_HISTORY_TABLE,
        Item=item,
        ConditionExpression="attribute_not_exists(pk)",
    )


def history_body(rows: dict[str, str]) -> bytes:
    """The snapshot item's compressed rows: the pipeline measures it against
    DynamoDB's item limit before it writes anything."""
    return zlib.compress(
        ("{" + ",".join(f"{orjson.dumps(k).decode()}:{v}" for k, v in rows.items()) + "}").encode(),
        ZLIB_LEVEL,
    )


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
    body: bytes | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file's snapshot and metrics items as DynamoDB writes them (pure: the cost
    model, deploy/cdk/cost.py, sizes them with this too). ``body``:
    ``history_body(rows)`` when the caller has it already."""
    version = version_id or etag  # what tells this file from another upload of its key
    snapshot = history_key(
        feed=feed,
        trading_date=trading_date,
        file_time=file_time,
        object_key=object_key,
        version=version,
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
    greeks_missing = bool(metrics.get(GREEKS_MISSING))
    snapshot_item = {
        "pk": {"S": snapshot.pk},
        "sk": {"S": snapshot.sk},
        "rows": {"B": history_body(rows) if body is None else body},
        "row_count": {"N": str(len(rows))},
        **common,
        **({GREEKS_MISSING: {"BOOL": True}} if greeks_missing else {}),
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
    body: bytes | None = None,
) -> bool:
    """Write the file's snapshot and metrics items; False when both existed already.

    ``body``: ``history_body(rows)`` when the caller has it already.
    """
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
        body=body,
    )
    if GREEKS_MISSING in snapshot_item:
        # Listed before its item exists: a repair pass may find the listing first
        # (and leaves it), never a marked item nobody will look for.
        _repair_list(
            feed=feed,
            trading_date=trading_date,
            sk=snapshot_item["sk"]["S"],
            expires=snapshot_item[TTL_ATTRIBUTE]["N"],
        )
    wrote = _put_once(snapshot_item)
    wrote_metrics = _put_once(metrics_item)
    return wrote or wrote_metrics


def _repair_list(*, feed: Feed, trading_date: date, sk: str, expires: str) -> None:
    _call(
        "put_item",
        TableName=settings.FRGM_HISTORY_TABLE,
        Item={
            "pk": {"S": f"{REPAIR_PREFIX}{feed}#{trading_date.isoformat()}"},
            "sk": {"S": sk},
            TTL_ATTRIBUTE: {"N": expires},  # gone with the item it lists
        },
    )


def _call(operation: str, **request: Any) -> Any:
    try:
        return getattr(client("dynamodb"), operation)(**request)
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"DynamoDB {operation}: {exc}") from exc


def history_greeks_missing(*, feed: Feed, day: date, limit: int = 100) -> list[HistoryItem]:
    """The day's snapshot items still marked ``greeks_missing``, oldest first."""
    listed = _call(
        "query",
        TableName=settings.FRGM_HISTORY_TABLE,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"{REPAIR_PREFIX}{feed}#{day.isoformat()}"}},
        Limit=limit,
    ).get("Items", [])
    items = []
    for entry in listed:
        raw = _call(
            "get_item",
            TableName=settings.FRGM_HISTORY_TABLE,
            Key={"pk": {"S": f"{feed}#{day.isoformat()}"}, "sk": entry["sk"]},
            ConsistentRead=True,
        ).get("Item")
        if raw is None:  # listed, but its put failed (the file is retried) or not yet done
            continue
        items.append(_item(raw))
    return items


def history_greeks_repair(
    *, feed: Feed, day: date, item: HistoryItem, rows: dict[str, str], metrics: dict[str, Any]
) -> bool:
    """Write the Greeks a marked item lacked: its rows and its metrics item's numbers,
    each only while it is still marked; then unlist it. False when another pass
    repaired it first."""
    table = settings.FRGM_HISTORY_TABLE
    pk = f"{feed}#{day.isoformat()}"
    repaired = _update_if_marked(
        TableName=table,
        Key={"pk": {"S": pk}, "sk": {"S": item.sk}},
        UpdateExpression=f"SET #rows = :rows REMOVE {GREEKS_MISSING}",
        ExpressionAttributeNames={"#rows": "rows"},
        ExpressionAttributeValues={":rows": {"B": history_body(rows)}, ":yes": {"BOOL": True}},
    )
    names = {f"#m{i}": name for i, name in enumerate(metrics)}
    values = {f":m{i}": _number(value) for i, value in enumerate(metrics.values())}
    sets = ", ".join(f"#m{i} = :m{i}" for i in range(len(metrics)))
    _update_if_marked(
        TableName=table,
        Key={"pk": {"S": f"{METRICS_PREFIX}{pk}"}, "sk": {"S": item.sk}},
        UpdateExpression=(f"SET {sets} " if sets else "") + f"REMOVE {GREEKS_MISSING}",
        **({"ExpressionAttributeNames": names} if names else {}),
        ExpressionAttributeValues={**values, ":yes": {"BOOL": True}},
    )
    _call(
        "delete_item",
        TableName=table,
        Key={"pk": {"S": f"{REPAIR_PREFIX}{pk}"}, "sk": {"S": item.sk}},
    )
    return repaired


def _update_if_marked(**request: Any) -> bool:
    return _conditional("update_item", ConditionExpression=f"{GREEKS_MISSING} = :yes", **request)


def _item(raw: dict[str, Any]) -> HistoryItem:
    return HistoryItem(
        sk=raw["sk"]["S"],
        object_key=raw.get("object_key", {}).get("S", ""),
        attributes={
            k: _plain(v) for k, v in raw.items() if k not in {"pk", "sk", "rows", TTL_ATTRIBUTE}
        },
        rows=_plain(raw["rows"]) if "rows" in raw else None,
    )


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
    items = [_item(raw) for raw in reply.get("Items", [])]
    last = reply.get("LastEvaluatedKey")
    return items, (last["sk"]["S"] if last else None)


def history_walk(*, feed: Feed, day: date, metrics: bool = False) -> Iterator[HistoryItem]:
    cursor: str | None = None
    while True:
        items, cursor = history_items(feed=feed, day=day, metrics=metrics, start_after=cursor)
        yield from items
        if cursor is None:
            return

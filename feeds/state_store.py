"""Latest state, claims, dedupe markers and feed health in the state store.

Every key of a feed carries the feed's hash tag (``frgm:{spot-risk}:...``), so
one Lua script or pipeline touches one cluster slot: MemoryDB's rule.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from feeds.derive import DerivedFile
from feeds.records import Feed
from lib.redis_clients import state_store, state_store_call

DONE_TTL_S = 3600  # a redelivered notification comes within minutes
# A crashed worker's claim lapses when its message becomes visible again.
CLAIM_TTL_S = 10
MINUTE_BUCKET_TTL_S = 2 * 3600
RECENT_FILES = 100  # for the ops feed page; too few for percentiles: see LATENCY_*
# Every fresh file's timings for the latency percentiles of the last minutes (the
# ops pages and the alarm read 5): spot risk alone can be 16 files a second, so
# they are kept by time, and capped so a burst cannot grow them without bound.
LATENCY_KEEP_S = 600
LATENCY_SAMPLES_MAX = 12_000
SEQUENCER_WIDTH = 40


def key(feed: Feed | str, *parts: str) -> str:
    return ":".join(("frgm", f"{{{feed}}}", *parts))


def state_version(*, file_time: datetime | None, sequencer: str, object_key: str) -> str:
    """A string that sorts like (file time, S3 sequencer, key): the CAS order.

    Sequencers are hex of varying length; left-padding makes them sort as numbers.
    """
    stamp = file_time.astimezone(UTC).strftime("%Y%m%dT%H%M%S") if file_time else "0" * 15
    return f"{stamp}|{sequencer.upper().rjust(SEQUENCER_WIDTH, '0')}|{object_key}"


# KEYS: rows, rowver, meta. ARGV: mode, version, meta json, then id/value pairs.
# Returns {status} when nothing was applied: same (this version is the one
# applied already) or stale (a newer one is); else {'applied', n, n changed
# ids, then (id, old value) of each removed row}.
# A row's version is the newer of its own (set by the chunk that wrote it) and
# the meta's floor: the version of the last whole file, which wrote every row.
_APPLY = """
local mode, version, meta = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', KEYS[3], 'version')
local changed = {}
local removed = {}
if mode == 'replace' then
  if current and current >= version then
    if current == version then return {'same'} end
    return {'stale'}
  end
  local new = {}
  for i = 4, #ARGV, 2 do new[ARGV[i]] = ARGV[i + 1] end
  local old = redis.call('HGETALL', KEYS[1])
  local seen = {}
  for i = 1, #old, 2 do
    seen[old[i]] = true
    if new[old[i]] == nil then
      table.insert(removed, old[i])
      table.insert(removed, old[i + 1])
    elseif new[old[i]] ~= old[i + 1] then
      table.insert(changed, old[i])
    end
  end
  for i = 4, #ARGV, 2 do
    if not seen[ARGV[i]] then table.insert(changed, ARGV[i]) end
  end
  redis.call('DEL', KEYS[1])
  for i = 4, #ARGV, 200 do
    redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 199, #ARGV)))
  end
  -- Every row is at this version now: the floor says so for all of them at once.
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[3], 'floor', version)
else
  local floor = redis.call('HGET', KEYS[3], 'floor')
  if floor and floor >= version then
    -- A part of a snapshot older than the last whole file: every row it has is older.
    if current == version then return {'same'} end
    return {'stale'}
  end
  local applied_any = false
  for i = 4, #ARGV, 2 do
    local id, value = ARGV[i], ARGV[i + 1]
    local row_version = redis.call('HGET', KEYS[2], id)
    if (not row_version) or row_version < version then
      applied_any = true
      if redis.call('HGET', KEYS[1], id) ~= value then table.insert(changed, id) end
      redis.call('HSET', KEYS[1], id, value)
      redis.call('HSET', KEYS[2], id, version)
    end
  end
  if not applied_any then
    if current == version then return {'same'} end
    return {'stale'}
  end
end
if (not current) or current < version then
  redis.call('HSET', KEYS[3], 'version', version, 'meta', meta)
end
local reply = {'applied', #changed}
for _, id in ipairs(changed) do table.insert(reply, id) end
for _, item in ipairs(removed) do table.insert(reply, item) end
return reply
"""


@dataclass(frozen=True)
class ApplyResult:
    status: str  # applied | same | stale
    changed: tuple[str, ...] = ()  # ids whose row was added or changed
    removed: dict[str, str] = field(default_factory=dict)  # id -> its last row, now gone


def _store_call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    return state_store_call(fn, *args, **kwargs)


@lru_cache(maxsize=4)
def _script(store: Any, source: str) -> Any:
    """A registered script, once per client: registering hashes the source each time."""
    return store.register_script(source)


def latest_apply(*, derived: DerivedFile, version: str, meta: dict[str, Any]) -> ApplyResult:
    """Compare-and-set the feed's latest rows: an older file never overwrites a newer one."""
    feed = derived.feed
    script = _script(state_store(), _APPLY)
    argv: list[str] = [derived.mode.value, version, json.dumps(meta, default=str)]
    for row_id, value in derived.rows.items():
        argv += [row_id, value]
    keys = [key(feed, "rows"), key(feed, "rowver"), key(feed, "meta")]
    reply = [
        item.decode() if isinstance(item, bytes) else item
        for item in _store_call(script, keys=keys, args=argv)
    ]
    if reply[0] != "applied":
        return ApplyResult(status=reply[0])
    count = int(reply[1])
    changed = tuple(reply[2 : 2 + count])
    rest = reply[2 + count :]
    return ApplyResult("applied", changed, dict(zip(rest[::2], rest[1::2], strict=True)))


# KEYS: the object's done marker, its claim. One round trip for both checks
# (same hash slot: the feed's).
_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'done' end
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'EX', ARGV[2]) then return 'taken' end
return 'busy'
"""


def claim_take(*, feed: Feed, object_id: str, worker: str) -> str:
    """``taken`` when this worker may process the object; ``done`` when it was
    ingested already; ``busy`` while another worker holds it (ask again later)."""
    script = _script(state_store(), _CLAIM)
    keys = [key(feed, "done", object_id), key(feed, "claim", object_id)]
    outcome = _store_call(script, keys=keys, args=[worker, CLAIM_TTL_S])
    return outcome.decode() if isinstance(outcome, bytes) else str(outcome)


def claim_release(*, feed: Feed, object_id: str) -> None:
    _store_call(state_store().delete, key(feed, "claim", object_id))


def group_sequences_next(*, feed: Feed, groups: Iterable[str]) -> dict[str, int]:
    """The next sequence number of each group, for gap detection in browsers."""
    ordered = sorted(set(groups))
    if not ordered:
        return {}
    pipe = state_store().pipeline(transaction=False)
    for group in ordered:
        pipe.hincrby(key(feed, "seq"), group, 1)
    return dict(zip(ordered, _store_call(pipe.execute), strict=True))


@dataclass(frozen=True)
class IngestRecord:
    """What feed health keeps of one file the pipeline finished."""

    feed: Feed
    object_id: str
    key: str
    file_time: datetime | None
    event_time: datetime | None
    received_at: float  # epoch seconds the message was received
    finished_at: float  # epoch seconds the file was done
    stages_ms: dict[str, float]
    status: str  # applied | same | stale | parse_error | missing_object
    rows: int
    chunk: int | None = None
    chunks: int | None = None
    version: str = ""  # its state version; "" for a refused file
    warnings: tuple[str, ...] = ()  # what its parser noticed but accepted
    # Its rows reached the latest state now: only such a file is the feed's "last
    # file" and moves its age and latency (see ``file_freshens``).
    fresh: bool = False

    @property
    def latency_ms(self) -> float | None:
        if self.event_time is None:
            return None
        return round((self.finished_at - self.event_time.timestamp()) * 1000, 1)


REFUSED = frozenset({"parse_error", "missing_object"})
# What a file that did not freshen the feed is counted as, by its status.
_COUNTED_AS = {"same": "duplicate"}


def file_freshens(*, feed: Feed, status: str, version: str) -> bool:
    """Whether a file's rows reached the latest state with this delivery.

    ``applied``: yes. ``same``: the state holds this very version already, so
    either an earlier delivery applied it and died before recording it (then
    health never saw it: yes), or it is a redelivery of a file recorded already
    (after its done marker expired: no, or a silent feed would look live).
    """
    if status == "applied":
        return True
    if status != "same":
        return False
    last = _store_call(state_store().hget, key(feed, "health"), "last_version")
    return last is None or last.decode() < version


def ingest_record(record: IngestRecord, *, live: bool = True) -> None:
    """Mark the file done and, for a live file, record it in its feed's health, in one
    round trip. A replayed archive file must not make a stalled feed look fresh.

    Only a fresh file moves the feed's last file, age and latency and counts as
    a file; a stale, duplicate or refused one is counted under its own name
    (``stale_total``, ``parse_error`` per minute ...) and listed with its status.
    """
    feed = record.feed
    pipe = state_store().pipeline(transaction=False)
    pipe.set(key(feed, "done", record.object_id), 1, ex=DONE_TTL_S)
    pipe.delete(key(feed, "claim", record.object_id))
    if not live:
        _store_call(pipe.execute)
        return
    minute = int(record.finished_at // 60)
    latency = record.latency_ms if record.fresh else None
    entry = {
        "key": record.key,
        "file_time": _iso(record.file_time),
        "event_time": _iso(record.event_time),
        "received_at": record.received_at,
        "finished_at": record.finished_at,
        "latency_ms": latency,
        "stages_ms": record.stages_ms,
        "status": record.status,
        "rows": record.rows,
        "warnings": list(record.warnings),
    }
    if record.fresh:
        pipe.hset(
            key(feed, "health"),
            mapping={
                "last_key": record.key,
                "last_file_time": _iso(record.file_time) or "",
                "last_event_time": _iso(record.event_time) or "",
                "last_ingested_at": str(record.finished_at),
                "last_latency_ms": "" if latency is None else str(latency),
                "last_stages_ms": json.dumps(record.stages_ms),
                "last_version": record.version,
            },
        )
    counted = "files" if record.fresh else _COUNTED_AS.get(record.status, record.status)
    pipe.hincrby(key(feed, "health"), f"{counted}_total", 1)
    pipe.incr(key(feed, counted, str(minute)))
    pipe.expire(key(feed, counted, str(minute)), MINUTE_BUCKET_TTL_S)
    pipe.lpush(key(feed, "recent"), json.dumps(entry))
    pipe.ltrim(key(feed, "recent"), 0, RECENT_FILES - 1)
    if latency is not None and record.event_time is not None:
        _latency_sample_add(pipe, record, latency, record.event_time.timestamp())
    if record.chunks is not None and record.file_time is not None and record.status not in REFUSED:
        # A refused chunk's rows never arrived: its batch stays incomplete on the ops pages.
        batch = record.file_time.strftime("%Y%m%d_%H%M%S")
        pipe.hset(
            key(feed, "batch", batch),
            mapping={f"chunk_{record.chunk:02d}": 1, "total": record.chunks},
        )
        pipe.expire(key(feed, "batch", batch), 24 * 3600)
        pipe.zadd(key(feed, "batches"), {batch: record.file_time.timestamp()})
        pipe.zremrangebyscore(key(feed, "batches"), 0, record.finished_at - 24 * 3600)
    _store_call(pipe.execute)


def _latency_sample_add(
    pipe: Any, record: IngestRecord, latency_ms: float, event_at: float
) -> None:
    """One sample, scored by when the file was done: "finished|e2e|delay|processing|id"."""
    delay_ms = max(0.0, (record.received_at - event_at) * 1000)
    processing_ms = (record.finished_at - record.received_at) * 1000
    tag = format(zlib.crc32(record.object_id.encode()), "08x")  # two files, two members
    member = f"{record.finished_at:.6f}|{latency_ms:.1f}|{delay_ms:.1f}|{processing_ms:.1f}|{tag}"
    samples = key(record.feed, "latency")
    pipe.zadd(samples, {member: record.finished_at})
    pipe.zremrangebyscore(samples, "-inf", f"({record.finished_at - LATENCY_KEEP_S}")
    pipe.zremrangebyrank(samples, 0, -LATENCY_SAMPLES_MAX - 1)
    pipe.expire(samples, LATENCY_KEEP_S)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


WORKER_HEARTBEATS = "frgm:{workers}:heartbeats"


def worker_heartbeat(*, name: str, now: float | None = None) -> None:
    """Each consumer says "I am consuming" on every poll; ops counts the fresh ones."""
    _store_call(state_store().hset, WORKER_HEARTBEATS, name, str(now or time.time()))


def workers_alive(*, now: float, fresh_s: float = 60) -> int:
    beats = _store_call(state_store().hgetall, WORKER_HEARTBEATS)
    return sum(1 for value in beats.values() if float(value) >= now - fresh_s)


INTAKE_REFUSED_KEPT = 20  # the last few, for the ops intake page


def intake_refusal_record(
    *, kind: str, bucket: str, object_key: str, now: float | None = None
) -> None:
    """Count a notification whose object is not read, and keep the last few.

    ``ignored``: no feed owns its key; ``foreign_bucket``: it names a bucket
    that is not ours. Both are counted under the pseudo-feed ``other``.
    """
    at = now or time.time()
    minute = int(at // 60)
    entry = {"kind": kind, "bucket": bucket[:255], "key": object_key[:512], "at": at}
    pipe = state_store().pipeline(transaction=False)
    pipe.hincrby(key("other", "health"), f"{kind}_total", 1)
    pipe.incr(key("other", kind, str(minute)))
    pipe.expire(key("other", kind, str(minute)), MINUTE_BUCKET_TTL_S)
    pipe.lpush(key("other", "refused"), json.dumps(entry))
    pipe.ltrim(key("other", "refused"), 0, INTAKE_REFUSED_KEPT - 1)
    _store_call(pipe.execute)


def intake_refusals() -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Totals by kind (``ignored_total`` ...) and the last few refused notifications."""
    pipe = state_store().pipeline(transaction=False)
    pipe.hgetall(key("other", "health"))
    pipe.lrange(key("other", "refused"), 0, INTAKE_REFUSED_KEPT - 1)
    totals, recent = _store_call(pipe.execute)
    counts = {
        (name.decode() if isinstance(name, bytes) else name): int(value)
        for name, value in totals.items()
    }
    return counts, [json.loads(item) for item in recent]


def latest_state_clear(*, feed: Feed) -> int:
    """Forget a feed's latest state (rows, row versions and the version the
    compare-and-set keeps), so the next file is applied whatever its stamp.
    History, health and S3 keep everything. Returns the number of keys removed."""
    keys = [key(feed, "rows"), key(feed, "rowver"), key(feed, "meta")]
    if feed is Feed.SPOT_RISK:
        keys.append(key(feed, "future_mid"))
    return int(_store_call(state_store().delete, *keys))

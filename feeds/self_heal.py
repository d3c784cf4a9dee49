"""An empty or wiped state store heals itself; Greeks missed meanwhile are repaired.

Latest state is derived data (DESIGN.md "Storage layout"), but nothing brought
it back after a wipe but ``manage.py rebuild_state`` run by hand, and every
spot-risk file meanwhile went to history without Greeks. Now:

- The store holds a marker (``frgm:{heal}:marker``), set by the first rebuild.
  A wiped (FLUSHALL) or new store has none; one ``EXISTS`` per file tells.
- The first file to miss it takes a lock (``SET NX EX``), and rebuilds every
  feed's latest state as ``rebuild_state`` does (``feeds.rebuild``: history
  for the dated feeds, S3 for TT instruments; the compare-and-set never
  overwrites a newer live state), for the file's trading date or, for a feed
  with no history that day, the trading days before it. Vtexp and the future
  come back before that file (a spot-risk one) is derived. Then it sets the
  marker, records the heal (``frgm:{heal}:last``, shown on ``/ops/``), logs a
  warning and emits an EMF ``StateSelfHeals`` metric.
- Other threads and processes wait for the marker meanwhile (or, if the rebuild
  is slow, let their message come back), so the rebuild runs once. A feed whose
  history cannot be read is logged and left to its next file: a bad item must
  not hold every file behind it.
- A spot-risk file derived while no future price or no vtexp existed at all is
  marked ``greeks_missing`` in history (``feeds.history``); each vtexp file
  ingested repairs the marked items of its trading day and the one before.

A replayed file (``manage.py replay``) neither heals nor repairs: a replay of
an old day must not stand as today's state; the next live file heals.
"""

from __future__ import annotations

import json
import logging
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisClusterException, RedisError

from feeds.derive import MarketInputs, spot_risk_rows_regreek
from feeds.feed_keys import trading_date_for
from feeds.history import history_greeks_missing, history_greeks_repair
from feeds.metrics import NAMESPACE
from feeds.records import Feed, FeedKey
from feeds.state_store import key
from lib.aws import AwsUnavailable
from lib.emf import emf_line, emf_logger
from lib.redis_clients import StateStoreUnavailable, state_store

if TYPE_CHECKING:
    from feeds.rebuild import FeedRebuild

log = logging.getLogger(__name__)

MARKER = key("heal", "marker")
LOCK = key("heal", "lock")
LAST = key("heal", "last")
# The lock outlives a worker that died mid-rebuild by this much at most; the
# holder renews it after each feed.
LOCK_TTL_S = 60
# How long a file waits for another worker's rebuild before its message goes
# back to the queue to try again (the consumer keeps it invisible meanwhile).
WAIT_S = 30.0
POLL_S = 0.05
# Feeds with no history on the file's trading date look this many trading days back
# (a Monday morning after a weekend, the day after a holiday).
LOOKBACK_TRADING_DAYS = 3
# Inputs first: the TT instruments the others refer to, the vtexp and future spot
# risk is priced with; then the books.
ORDER = (Feed.TT_INSTRUMENTS, Feed.VTEXP, Feed.SPOT_RISK, Feed.TT_POSITIONS, Feed.TT_ORDERS)
REPAIR_BATCH = 200  # marked items repaired per vtexp file, per day


class StateHealPending(StateStoreUnavailable):
    """Another worker is rebuilding the state store: this file must wait (try again)."""


@dataclass(frozen=True)
class SelfHeal:
    day: date
    seconds: float
    feeds: tuple[FeedRebuild, ...]
    failed: tuple[Feed, ...] = ()  # feeds whose history could not be applied (logged)

    def summary(self) -> dict[str, str]:
        """Per feed: what came back, in a word or two."""
        done = {
            str(result.feed): result.status
            + (f" {result.rows} rows" if result.status != "empty" else "")
            for result in self.feeds
        }
        return done | {str(feed): "failed (see the worker log)" for feed in self.failed}


def state_heal_ensure(*, source: FeedKey, replay: bool = False) -> SelfHeal | None:
    """Rebuild the latest state once if the store lost it, before ``source`` is ingested.

    Returns the heal this call ran (None when the store was whole, or another
    worker healed it). Raises ``StateHealPending`` when another worker's rebuild
    outlasts ``WAIT_S``, ``StateStoreUnavailable``/``AwsUnavailable`` when the
    rebuild cannot read or write (the file is tried again either way).
    """
    if replay or _call(state_store().exists, MARKER):
        return None
    deadline = time.monotonic() + WAIT_S
    token = f"{socket.gethostname()}:{uuid.uuid4().hex}"
    while True:
        if _call(state_store().set, LOCK, token, nx=True, ex=LOCK_TTL_S):
            try:
                if _call(state_store().exists, MARKER):  # healed while we asked
                    return None
                return _heal(
                    day=source.trading_date or trading_date_for(datetime.now(UTC)), token=token
                )
            finally:
                _lock_release(token)
        if _call(state_store().exists, MARKER):
            return None
        if time.monotonic() >= deadline:
            raise StateHealPending("state store: being rebuilt from history by another worker")
        time.sleep(POLL_S)  # the holder's lock lapses if it died: then this one takes it


def _heal(*, day: date, token: str) -> SelfHeal:
    started = time.monotonic()
    log.info("state store has no heal marker (new or wiped): rebuilding every feed from history")
    results, failed = [], []
    for feed in ORDER:
        try:
            results.append(_feed_rebuild(feed, day))
        except (AwsUnavailable, StateStoreUnavailable):
            raise  # try again with the file
        except Exception:
            # A history item the rebuild cannot read must not stop every file behind
            # it: this feed comes back with its next file instead.
            log.exception("self-heal: could not rebuild %s from history", feed)
            failed.append(feed)
        _lock_renew(token)
    heal = SelfHeal(
        day=day,
        seconds=round(time.monotonic() - started, 3),
        feeds=tuple(results),
        failed=tuple(failed),
    )
    at = datetime.now(UTC).isoformat()
    if not failed and all(result.status == "empty" for result in results):
        # A new store with no history behind it (a first deploy, a test): nothing was
        # lost, so nothing to tell on-call.
        log.info("state store is new and history holds nothing to restore")
        _call(state_store().set, MARKER, at)
        return heal
    pipe = state_store().pipeline(transaction=False)
    pipe.set(MARKER, at)
    pipe.hset(
        LAST,
        mapping={
            "at": at,
            "day": day.isoformat(),
            "seconds": str(heal.seconds),
            "feeds": json.dumps(heal.summary()),
            "by": socket.gethostname(),
        },
    )
    pipe.hincrby(LAST, "count", 1)
    _call(pipe.execute)
    log.warning(
        "state store healed itself in %.1f s from the history of %s: %s",
        heal.seconds,
        day.isoformat(),
        ", ".join(f"{feed} {what}" for feed, what in heal.summary().items()),
    )
    emf_logger.info(
        emf_line(
            namespace=NAMESPACE,
            dimensions={},
            dimension_sets=[[]],
            metrics={
                "StateSelfHeals": (1, "Count"),
                "StateSelfHealDuration": (heal.seconds * 1000, "Milliseconds"),
            },
            properties={"Day": day.isoformat(), "Feeds": heal.summary()},
        )
    )
    return heal


def _feed_rebuild(feed: Feed, day: date) -> FeedRebuild:
    """The feed's state from its newest day with history, ``day`` or a few before."""
    # Imported here: rebuild reads the archive through feeds.replay, which drives
    # the pipeline, which calls this module.
    from feeds.rebuild import latest_state_rebuild

    result = latest_state_rebuild(feeds=[feed], day=day).feeds[0]
    if feed is Feed.TT_INSTRUMENTS:  # from S3, every file whatever its day
        return result
    earlier = day
    for _ in range(LOOKBACK_TRADING_DAYS):
        if result.status != "empty":
            break
        earlier = _trading_day_before(earlier)
        result = latest_state_rebuild(feeds=[feed], day=earlier).feeds[0]
    return result


def _trading_day_before(day: date) -> date:
    day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


# KEYS: the lock. ARGV: the holder's token, then a TTL (renew) or nothing (release).
_LOCK_OWNED = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return redis.call('DEL', KEYS[1])
"""


@lru_cache(maxsize=2)
def _lock_script(store: Any) -> Any:
    return store.register_script(_LOCK_OWNED)


def _lock_renew(token: str) -> None:
    store = state_store()
    _call(_lock_script(store), keys=[LOCK], args=[token, LOCK_TTL_S])


def _lock_release(token: str) -> None:
    try:
        store = state_store()
        _call(_lock_script(store), keys=[LOCK], args=[token])
    except StateStoreUnavailable:  # it lapses on its own
        log.info("state store: could not release the self-heal lock; it lapses in %d s", LOCK_TTL_S)


def greeks_repair_after(*, source: FeedKey, status: str, replay: bool = False) -> int:
    """After a vtexp file is ingested, repair the spot-risk history items of its
    trading day and the one before that were written without Greeks. Best effort:
    the vtexp file is ingested whatever happens here; the next vtexp tries again.
    Returns how many items were repaired."""
    if replay or source.feed is not Feed.VTEXP or status != "ingested":
        return 0
    day = source.trading_date or trading_date_for(datetime.now(UTC))
    try:
        market = _market_now()
        return sum(greeks_repair(day=d, market=market) for d in (_trading_day_before(day), day))
    except (AwsUnavailable, StateStoreUnavailable) as exc:
        log.warning("greeks repair after %s failed, next vtexp retries: %s", source.feed, exc)
        return 0


def greeks_repair(*, day: date, market: MarketInputs) -> int:
    """Fill in the Greeks of the day's marked spot-risk items with ``market``'s inputs."""
    if not market.vtexp_days:
        return 0
    repaired = 0
    for item in history_greeks_missing(feed=Feed.SPOT_RISK, day=day, limit=REPAIR_BATCH):
        regreeked = spot_risk_rows_regreek(
            item.rows or {}, market=market, whole=item.attributes.get("chunks") is None
        )
        if not regreeked.complete:
            continue  # this chunk had no future and none is known yet
        if history_greeks_repair(
            feed=Feed.SPOT_RISK,
            day=day,
            item=item,
            rows=regreeked.rows,
            metrics=regreeked.metrics,
        ):
            repaired += 1
    if repaired:
        log.warning("repaired the Greeks of %d spot-risk history item(s) of %s", repaired, day)
        emf_logger.info(
            emf_line(
                namespace=NAMESPACE,
                dimensions={"Feed": str(Feed.SPOT_RISK)},
                metrics={"GreeksRepaired": (repaired, "Count")},
                properties={"Day": day.isoformat()},
            )
        )
    return repaired


def _market_now() -> MarketInputs:
    """The vtexp and future price the latest state holds now."""
    store = state_store()
    vtexp = _call(store.hgetall, key(Feed.VTEXP, "rows"))
    future = _call(store.get, key(Feed.SPOT_RISK, "future_mid"))
    return MarketInputs(
        future_mid=Decimal(future.decode()) if future else None,
        vtexp_days={k.decode(): Decimal(json.loads(v)["days"]) for k, v in vtexp.items()},
    )


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (RedisError, RedisClusterException) as exc:
        raise StateStoreUnavailable(f"state store: {type(exc).__name__}: {exc}") from exc

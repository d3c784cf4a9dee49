"""The ops schedule's heartbeat: a dead-man's switch outside the scheduler.

After each good run the scheduler says so twice: an EMF metric ``SchedulerHeartbeat``
(1 per good run; CloudWatch's ``scheduler-not-running`` alarm pages when a few
minutes pass without one, missing data counting as breaching) and, when
``FRGM_HEARTBEAT_URL`` is set, a GET to a healthchecks.io-style ping URL: a monitor
outside AWS that e-mails/pages when beats stop, so a dead scheduler, a dead
CloudWatch pipeline or a dead Slack each leave someone who still hears.

Only good runs beat: a scheduler that turns but cannot evaluate (its database or
state store away) is as blind as a dead one. The ping is sent from a thread of its
own, so a slow or unreachable monitor never delays a run; a failing ping is logged
once per outage. The URL is a secret (anyone holding it can report "alive"): it is
never logged, only "heartbeat sent/failed".
"""

from __future__ import annotations

import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime

from django.conf import settings

from lib.emf import emf_line, emf_logger
from ops.alarms import FRGM_HEALTH
from ops.health_metrics import SCHEDULER_HEARTBEAT

log = logging.getLogger(__name__)


def heartbeat_line(*, timestamp_ms: int) -> str:
    """The EMF document of one beat (pure): no dimensions, as the alarm reads it."""
    return emf_line(
        namespace=FRGM_HEALTH,
        dimensions={},
        dimension_sets=[[]],
        metrics={SCHEDULER_HEARTBEAT: (1.0, "Count")},
        timestamp_ms=timestamp_ms,
    )


def heartbeat_emit(*, now: datetime) -> None:
    emf_logger.info(heartbeat_line(timestamp_ms=int(now.timestamp() * 1000)))


def heartbeat_ping(*, url: str, timeout_s: float) -> None:
    """One GET of the ping URL; raises ``HeartbeatFailed`` naming the reason, never the URL."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - our configured URL
            if response.status >= 300:
                raise HeartbeatFailed(f"the monitor answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise HeartbeatFailed(f"the monitor answered {exc.code}") from None
    except urllib.error.URLError as exc:
        if not isinstance(exc.reason, BaseException):  # its text quotes the URL
            raise HeartbeatFailed("not a usable URL") from None
        raise HeartbeatFailed(f"unreachable: {type(exc.reason).__name__}") from None
    except HeartbeatFailed:
        raise
    except Exception as exc:  # a malformed URL's error would quote the URL: the type only
        raise HeartbeatFailed(f"{type(exc).__name__}") from None


class HeartbeatFailed(RuntimeError):
    """The monitor did not take the beat (the message never holds the URL)."""


class HeartbeatPinger:
    """Sends the pings from a daemon thread; ``beat`` only asks for one (beats asked
    for while one is in flight collapse into the next: one ping says "alive")."""

    def __init__(self, *, url: str, timeout_s: float) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pending = False
        self._stopping = False
        self._failing_since: float | None = None
        self._failures = 0
        self._sent = 0
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    @property
    def sent(self) -> int:
        """Pings the monitor took since this pinger started."""
        return self._sent

    def beat(self) -> None:
        with self._lock:
            self._pending = True
        self._wake.set()

    def close(self, *, timeout_s: float | None = None) -> None:
        """Send a beat still waiting (``--once``), then stop the thread."""
        with self._lock:
            self._stopping = True
        self._wake.set()
        self._thread.join(self._timeout_s + 1 if timeout_s is None else timeout_s)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                pending, self._pending = self._pending, False
                stopping = self._stopping
            if pending:
                self._send()
            if stopping:
                return

    def _send(self) -> None:
        try:
            heartbeat_ping(url=self._url, timeout_s=self._timeout_s)
        except Exception as exc:  # never the schedule's problem: logged once per outage
            self._failures += 1
            if self._failing_since is None:
                self._failing_since = time.monotonic()
                log.warning(
                    "heartbeat failed (%s); the schedule goes on, logged again when a beat "
                    "gets through",
                    exc,
                )
            else:
                log.debug("heartbeat still failing: %s", exc)
            return
        self._sent += 1
        if self._failing_since is not None:
            log.warning(
                "heartbeat sent again after %.1f s (%d failed)",
                time.monotonic() - self._failing_since,
                self._failures,
            )
            self._failing_since, self._failures = None, 0
        elif self._sent == 1:
            log.info("heartbeat sent (the first; later ones are logged at DEBUG)")
        else:
            log.debug("heartbeat sent")


class Heartbeat:
    """What the scheduler calls after each good run: the EMF beat always, the ping when
    ``FRGM_HEARTBEAT_URL`` is set."""

    def __init__(self, *, url: str | None = None, timeout_s: float | None = None) -> None:
        url = settings.FRGM_HEARTBEAT_URL if url is None else url
        timeout = settings.FRGM_HEARTBEAT_TIMEOUT_S if timeout_s is None else timeout_s
        self.pinger = HeartbeatPinger(url=url, timeout_s=timeout) if url else None

    def beat(self, *, now: datetime) -> None:
        heartbeat_emit(now=now)
        if self.pinger is not None:
            self.pinger.beat()

    def close(self) -> None:
        if self.pinger is not None:
            self.pinger.close()

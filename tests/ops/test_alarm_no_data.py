"""An alarm nothing measures here says "no data"; the state store's memory and
evictions are measured locally, against a real Redis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import redis
from django.urls import reverse

from feeds.state_store import worker_heartbeat
from ops.evaluator import alarm_states_update, local_alarm_values
from ops.feed_states import CHICAGO
from ops.models import AlarmStatus, AlarmTransition
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
TUESDAY_10AM = datetime(2025, 7, 22, 10, 0, tzinfo=CHICAGO)


def _evaluate(at: datetime) -> None:
    worker_heartbeat(name="worker@test", now=at.timestamp())
    alarm_states_update(values=local_alarm_values(now=at), now=at)


def _status(alarm_id: str) -> AlarmStatus:
    return AlarmStatus.objects.get(alarm_id=alarm_id)


@pytest.fixture
def state_redis(stack) -> Iterator[redis.Redis]:
    """The state store's server, its memory settings put back afterwards."""
    conn = redis.Redis(port=stack.state.port)
    saved = {k: conn.config_get(k)[k] for k in ("maxmemory", "maxmemory-policy")}
    yield conn
    conn.config_set("maxmemory", saved["maxmemory"])
    conn.config_set("maxmemory-policy", saved["maxmemory-policy"])
    conn.close()


def test_alarms_nothing_measures_locally_show_no_data_however_long_it_runs(stack, oncall):
    for minutes in range(0, 16, 5):  # three periods of web-targets-unhealthy and more
        _evaluate(TUESDAY_10AM + timedelta(minutes=minutes))
    for alarm_id in ("dynamodb-throttling", "web-targets-unhealthy"):
        status = _status(alarm_id)
        assert status.state == "INSUFFICIENT_DATA"
        assert "not measured locally" in status.reason
    assert not AlarmTransition.objects.filter(
        alarm_id__in=["dynamodb-throttling", "web-targets-unhealthy"]
    ).exclude(new_state="INSUFFICIENT_DATA")
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    assert "no data" in page
    assert "INSUFFICIENT_DATA" not in page


def test_without_maxmemory_the_memory_alarm_has_no_data_and_with_one_it_is_measured(
    state_redis,
):
    state_redis.config_set("maxmemory", 0)
    _evaluate(TUESDAY_10AM)
    status = _status("redis-memory-high")
    assert status.state == "INSUFFICIENT_DATA"
    assert "no maxmemory" in status.reason
    state_redis.config_set("maxmemory", 512 * 1024 * 1024)
    _evaluate(TUESDAY_10AM + timedelta(minutes=5))
    assert _status("redis-memory-high").state == "OK"
    # Ballast large beside what the server's own use drifts by between two reads
    # (a neighbouring test's keys expiring), so the ratio stays near 95 %.
    state_redis.set("frgm:{ops-test}:ballast", b"x" * 8_000_000)
    used = state_redis.info("memory")["used_memory"]
    state_redis.config_set("maxmemory", int(used / 0.95))  # 95 % full
    _evaluate(TUESDAY_10AM + timedelta(minutes=10))
    status = _status("redis-memory-high")
    assert status.state == "ALARM"
    assert "DatabaseMemoryUsagePercentage" in status.reason


def test_keys_the_state_store_evicts_raise_the_evictions_alarm(state_redis):
    _evaluate(TUESDAY_10AM)
    assert _status("redis-evictions").state == "OK"
    used = state_redis.info("memory")["used_memory"]
    state_redis.config_set("maxmemory-policy", "volatile-random")
    state_redis.config_set("maxmemory", used + 512 * 1024)
    for n in range(40):  # 2 MB into half a megabyte of room
        state_redis.set(f"frgm:{{ops-test}}:filler:{n}", b"x" * 50_000, ex=600)
    assert state_redis.info("stats")["evicted_keys"] > 0
    _evaluate(TUESDAY_10AM + timedelta(seconds=30))
    status = _status("redis-evictions")
    assert status.state == "ALARM"
    assert "Evictions Sum" in status.reason
    state_redis.config_set("maxmemory", 0)
    _evaluate(TUESDAY_10AM + timedelta(minutes=5))  # the next period evicted nothing
    assert _status("redis-evictions").state == "OK"

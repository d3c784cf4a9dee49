"""Each alarm at its threshold edges, and the catalogue's own rules."""

from __future__ import annotations

import pytest

from ops.alarms import (
    ALARMS,
    ALARMS_BY_ID,
    AlarmState,
    Severity,
    alarm_evaluate,
    periods_add,
    periods_window,
)

# (alarm id, value just inside, value just breaching)
EDGES = [
    ("feed-stalled-spot-risk", 0, 1),
    ("ingest-errors", 0, 1),
    ("dlq-not-empty", 0, 1),
    ("redis-memory-high", 80, 80.01),
    ("redis-evictions", 0, 1),
    ("dynamodb-throttling", 0, 1),
    ("worker-not-running", 1, 0),
    ("scheduler-not-running", 1, 0),
    ("web-targets-unhealthy", 0, 1),
    ("e2e-latency-high", 2000, 2000.1),
    ("secret-rotation-overdue", 0, 1),
]


@pytest.mark.parametrize(("alarm_id", "fine", "breach"), EDGES)
def test_each_alarm_fires_just_past_its_threshold_and_not_at_it(alarm_id, fine, breach):
    alarm = ALARMS_BY_ID[alarm_id]
    periods = alarm.evaluation_periods
    assert alarm_evaluate(alarm, [fine] * periods) is AlarmState.OK
    assert alarm_evaluate(alarm, [breach] * periods) is AlarmState.ALARM


def test_it_takes_every_evaluation_period_to_breach():
    unhealthy = ALARMS_BY_ID["web-targets-unhealthy"]  # 3 periods of 1 minute
    assert alarm_evaluate(unhealthy, [1, 1]) is AlarmState.OK  # third period missing: fine
    assert alarm_evaluate(unhealthy, [1, 0, 1]) is AlarmState.OK
    assert alarm_evaluate(unhealthy, [0, 1, 1, 1]) is AlarmState.ALARM


def test_a_silent_scheduler_is_an_alarm_but_silent_errors_are_not():
    assert alarm_evaluate(ALARMS_BY_ID["scheduler-not-running"], [None, None]) is AlarmState.ALARM
    assert alarm_evaluate(ALARMS_BY_ID["ingest-errors"], [None]) is AlarmState.OK


def test_no_worker_report_says_nothing_about_the_workers_the_scheduler_is_what_went_quiet():
    worker = ALARMS_BY_ID["worker-not-running"]
    assert alarm_evaluate(worker, [None, None]) is AlarmState.INSUFFICIENT_DATA
    assert alarm_evaluate(worker, [0, 0]) is AlarmState.ALARM  # reported as 0: paged


def test_the_catalogue_covers_what_on_call_needs():
    ids = set(ALARMS_BY_ID)
    assert {f"feed-stalled-{f}" for f in ("spot-risk", "vtexp", "tt-positions", "tt-orders")} <= ids
    assert {
        "ingest-errors",
        "dlq-not-empty",
        "redis-memory-high",
        "redis-evictions",
        "dynamodb-throttling",
        "worker-not-running",
        "web-targets-unhealthy",
        "e2e-latency-high",
        "secret-rotation-overdue",
    } <= ids
    assert len(ids) == len(ALARMS)  # ids are unique


def test_every_alarm_names_metric_period_severity_and_runbook():
    for alarm in ALARMS:
        assert alarm.metric
        assert alarm.period_s >= 60
        assert alarm.period_s % 60 == 0  # CloudWatch periods are whole minutes here
        assert isinstance(alarm.severity, Severity)
        assert alarm.runbook


def _sampled(alarm_id: str, samples: list[tuple[float, float | None]]) -> list:
    alarm, periods = ALARMS_BY_ID[alarm_id], []
    for at, value in samples:
        periods = periods_add(alarm, periods, at=at, value=value)
    return periods


def test_samples_within_one_period_make_one_period_holding_the_largest():
    worker = ALARMS_BY_ID["worker-not-running"]  # 2 periods of 60 s
    periods = _sampled("worker-not-running", [(600, 0), (615, 1), (630, 0), (645, 0)])
    assert periods == [[600, 1]]
    assert periods_window(worker, periods, at=645) is None  # one period of the two
    periods = periods_add(worker, periods, at=660, value=0)
    assert periods_window(worker, periods, at=660) == [1, 0]
    assert alarm_evaluate(worker, [1, 0]) is AlarmState.OK


def test_a_period_without_a_sample_leaves_the_window_unjudged_and_old_periods_drop():
    periods = _sampled("worker-not-running", [(600, 0), (720, 0)])  # nothing at 660-719
    assert periods == [[720, 0]]
    assert periods_window(ALARMS_BY_ID["worker-not-running"], periods, at=720) is None


def test_a_period_with_only_missing_samples_is_missing_data():
    periods = _sampled("ingest-errors", [(300, None), (310, None)])
    assert periods == [[300, None]]
    assert periods_window(ALARMS_BY_ID["ingest-errors"], periods, at=599) == [None]


def test_values_kept_before_periods_existed_are_dropped():
    assert periods_add(ALARMS_BY_ID["feed-stalled-vtexp"], [0.0, 1.0], at=60, value=0) == [[60, 0]]

"""The local evaluator: a silent feed alarms, opens an incident, and recovers."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User

from feeds.state_store import worker_heartbeat
from lib.redis_clients import state_store
from ops.evaluator import alarm_states_update, local_alarm_values
from ops.feed_states import CHICAGO
from ops.models import AlarmStatus, AlarmTransition, Incident, Silence

pytestmark = pytest.mark.django_db
TUESDAY_10AM = datetime(2025, 7, 22, 10, 0, tzinfo=CHICAGO)  # Globex trades


def _file_ingested(at: datetime) -> None:
    """What the pipeline writes into feed health when it finishes a file."""
    state_store().hset(
        "frgm:{spot-risk}:health",
        mapping={
            "last_key": "actant/spot-risk/x.csv",
            "last_ingested_at": str(at.timestamp()),
        },
    )


def _evaluate(at: datetime) -> list[AlarmTransition]:
    worker_heartbeat(name="worker@test", now=at.timestamp())
    return alarm_states_update(values=local_alarm_values(now=at), now=at)


def _state(alarm_id: str) -> str:
    return AlarmStatus.objects.get(alarm_id=alarm_id).state


def test_a_silent_feed_alarms_after_its_grace_and_recovers_in_the_next_period(stack):
    start = TUESDAY_10AM
    _file_ingested(start)
    _evaluate(start + timedelta(seconds=3))
    assert _state("feed-stalled-spot-risk") == "OK"
    _evaluate(start + timedelta(seconds=30))  # late, not stalled
    assert _state("feed-stalled-spot-risk") == "OK"
    changes = _evaluate(start + timedelta(seconds=61))
    assert [c.alarm_id for c in changes if c.new_state == "ALARM"] == ["feed-stalled-spot-risk"]
    incident = Incident.objects.get(alarm_id="feed-stalled-spot-risk")
    assert incident.state == "open"
    assert _evaluate(start + timedelta(seconds=90)) == []  # the state holds: no new change
    assert Incident.objects.count() == 1
    _file_ingested(start + timedelta(seconds=95))
    # The 10:01 minute had a stalled sample: its Maximum is 1, as CloudWatch would see it.
    assert _evaluate(start + timedelta(seconds=96)) == []
    back = _evaluate(start + timedelta(seconds=121))
    assert [(c.alarm_id, c.new_state) for c in back if c.alarm_id.startswith("feed")] == [
        ("feed-stalled-spot-risk", "OK")
    ]
    timeline = [event.text for event in incident.events.all()]
    assert timeline[0].startswith("OK -> ALARM")
    assert "no spot-risk file for 61 s (grace 60 s); last actant/spot-risk/x.csv" in timeline[0]
    assert timeline[1].startswith("ALARM -> OK")
    assert "spot-risk files arriving again: last 26 s ago" in timeline[1]
    incident.refresh_from_db()
    assert incident.state == "open"  # resolving is on-call's decision


def test_a_silent_feed_at_the_weekend_alarms_no_one(stack):
    friday_close = datetime(2025, 7, 25, 15, 59, tzinfo=CHICAGO)
    _file_ingested(friday_close)
    _evaluate(datetime(2025, 7, 26, 12, 0, tzinfo=CHICAGO))
    assert _state("feed-stalled-spot-risk") == "OK"
    assert not Incident.objects.exists()


def test_a_silenced_feed_changes_no_state_and_pages_no_one(stack):
    user = User.objects.create_user("ops-person")
    Silence.objects.create(
        target="feed",
        name="spot-risk",
        reason="feed server upgrade",
        until=TUESDAY_10AM + timedelta(hours=1),
        created_by=user,
    )
    _file_ingested(TUESDAY_10AM)
    _evaluate(TUESDAY_10AM + timedelta(minutes=10))
    assert _state("feed-stalled-spot-risk") == "OK"
    assert not Incident.objects.exists()


def test_a_silenced_alarm_still_shows_its_state_but_notifies_and_opens_nothing(stack):
    user = User.objects.create_user("ops-person")
    Silence.objects.create(
        target="alarm",
        name="feed-stalled-spot-risk",
        reason="known",
        until=TUESDAY_10AM + timedelta(hours=1),
        created_by=user,
    )
    _file_ingested(TUESDAY_10AM)
    _evaluate(TUESDAY_10AM + timedelta(minutes=5))
    assert _state("feed-stalled-spot-risk") == "ALARM"
    transition = AlarmTransition.objects.get(alarm_id="feed-stalled-spot-risk", new_state="ALARM")
    assert transition.notified_at is not None  # marked as handled: no Slack post
    assert not Incident.objects.exists()


def _evaluate_without_heartbeat(at: datetime) -> None:
    alarm_states_update(values=local_alarm_values(now=at), now=at)


def test_no_worker_heartbeat_for_two_one_minute_periods_is_an_alarm_not_two_runs(stack):
    worker_heartbeat(name="worker@test", now=TUESDAY_10AM.timestamp())  # its last beat
    # Fresh for 60 s; every sample of 10:01 after that finds no worker, but 10:01 had one.
    runs = [TUESDAY_10AM + timedelta(seconds=15 * n) for n in range(13)]  # 10:00:00 .. 10:03:00
    for at in runs[:-1]:
        _evaluate_without_heartbeat(at)
        assert _state("worker-not-running") != "ALARM", at
    _evaluate_without_heartbeat(runs[-1])  # 10:02 and 10:03 both without a beat
    assert _state("worker-not-running") == "ALARM"
    _evaluate(runs[-1] + timedelta(seconds=15))
    assert _state("worker-not-running") == "OK"


def test_an_alarm_is_not_judged_on_fewer_periods_than_it_needs(stack):
    _evaluate_without_heartbeat(TUESDAY_10AM)
    _evaluate_without_heartbeat(TUESDAY_10AM + timedelta(seconds=45))
    assert _state("worker-not-running") == "INSUFFICIENT_DATA"  # one period of the two
    status = AlarmStatus.objects.get(alarm_id="worker-not-running")
    assert status.reason == "waiting for 2 periods of 60 s: 1 sampled so far"
    _evaluate_without_heartbeat(TUESDAY_10AM + timedelta(seconds=60))
    assert _state("worker-not-running") == "ALARM"
    status.refresh_from_db()
    assert status.reason == "no worker has polled SQS for over a minute: nothing is consuming"


def test_the_first_all_clear_after_start_posts_nothing_but_a_recovery_does(stack):
    _file_ingested(TUESDAY_10AM)
    _evaluate(TUESDAY_10AM + timedelta(seconds=3))
    assert not AlarmTransition.objects.filter(notified_at__isnull=True).exists()
    _evaluate(TUESDAY_10AM + timedelta(seconds=61))
    _file_ingested(TUESDAY_10AM + timedelta(seconds=70))
    _evaluate(TUESDAY_10AM + timedelta(seconds=121))
    to_post = AlarmTransition.objects.filter(notified_at__isnull=True).order_by("at")
    assert [(t.alarm_id, t.new_state) for t in to_post] == [
        ("feed-stalled-spot-risk", "ALARM"),
        ("feed-stalled-spot-risk", "OK"),
    ]


def _reason_into(alarm_id: str, state: str) -> str:
    return AlarmTransition.objects.filter(alarm_id=alarm_id, new_state=state).latest("at").reason


def test_at_the_close_a_stalled_feed_returns_to_ok_saying_the_market_closed(stack):
    _file_ingested(datetime(2025, 7, 22, 15, 57, tzinfo=CHICAGO))
    _evaluate(datetime(2025, 7, 22, 15, 57, 5, tzinfo=CHICAGO))
    _evaluate(datetime(2025, 7, 22, 15, 59, 0, tzinfo=CHICAGO))
    assert _state("feed-stalled-spot-risk") == "ALARM"
    _evaluate(datetime(2025, 7, 22, 16, 0, 30, tzinfo=CHICAGO))  # the daily break
    assert _state("feed-stalled-spot-risk") == "OK"
    reason = _reason_into("feed-stalled-spot-risk", "OK")
    assert reason == "spot-risk: market closed (CME Globex), no file expected until it opens"


def test_a_stall_reads_how_long_the_feed_has_been_silent_in_words(stack):
    _file_ingested(TUESDAY_10AM)
    _evaluate(TUESDAY_10AM + timedelta(seconds=125))
    assert _reason_into("feed-stalled-spot-risk", "ALARM") == (
        "no spot-risk file for 2 min 05 s (grace 60 s); last actant/spot-risk/x.csv"
    )


def test_after_the_open_a_stall_counts_from_the_open_not_from_last_night(stack):
    _file_ingested(datetime(2025, 7, 22, 15, 59, 59, tzinfo=CHICAGO))
    _evaluate(datetime(2025, 7, 22, 17, 2, tzinfo=CHICAGO))
    assert _reason_into("feed-stalled-spot-risk", "ALARM") == (
        "no spot-risk file since the open at 17:00 (2 min) (grace 60 s); "
        "last actant/spot-risk/x.csv"
    )


def test_a_file_finished_after_the_reading_never_makes_a_zero_second_stall(stack):
    """A worker catching up after a freeze finishes files stamped after the scheduler
    read the clock: that reading is not a stall, and no reason says "for 0 s"."""
    _file_ingested(TUESDAY_10AM)
    _evaluate(TUESDAY_10AM + timedelta(seconds=90))
    _file_ingested(TUESDAY_10AM + timedelta(seconds=181))  # after the next reading's clock
    _evaluate(TUESDAY_10AM + timedelta(seconds=180))
    reasons = AlarmTransition.objects.filter(alarm_id="feed-stalled-spot-risk")
    assert [t.new_state for t in reasons.order_by("at")] == ["ALARM", "OK"]
    assert not [t.reason for t in reasons if " 0 s" in t.reason]


def test_ingest_errors_reads_the_files_refused_in_the_current_period_on_every_feed(stack):
    # What the pipeline counts for a refused file: its feed's parse_error bucket of
    # the minute it finished (feeds.state_store.ingest_record).
    now = TUESDAY_10AM + timedelta(minutes=3, seconds=30)  # the 5-minute period began 10:00
    minute = int(now.timestamp() // 60)
    store = state_store()
    store.set(f"frgm:{{spot-risk}}:parse_error:{minute}", 2)
    store.set(f"frgm:{{tt-orders}}:parse_error:{minute - 3}", 1)
    store.set(f"frgm:{{tt-orders}}:parse_error:{minute - 4}", 5)  # 09:59: the period before
    assert local_alarm_values(now=now)["ingest-errors"] == 3.0

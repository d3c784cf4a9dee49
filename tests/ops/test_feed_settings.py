"""Admins set each feed's interval, grace and trading schedule; a typo or a grace
shorter than the interval is refused with a reason, never accepted silently."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from ops.feed_judging import feed_context_load, feed_state_now
from ops.feed_states import (
    CHICAGO,
    DEFAULT_EXPECTATIONS,
    FeedExpectation,
    FeedState,
    TradingSchedule,
    feed_state,
)
from ops.models import FeedSettings
from tests.conftest import logged_in
from tests.ops.test_alarm_evaluator import _file_ingested

SATURDAY_NOON = datetime(2025, 7, 26, 12, 0, tzinfo=CHICAGO)
ADD = "admin:ops_feedsettings_add"


def test_the_zn_feeds_follow_cme_globex_and_instruments_no_schedule():
    for feed in ("spot-risk", "vtexp", "tt-positions", "tt-orders"):
        assert DEFAULT_EXPECTATIONS[feed].schedule is TradingSchedule.CME_GLOBEX
    assert DEFAULT_EXPECTATIONS["tt-instruments"].schedule is TradingSchedule.ALWAYS


def test_a_feed_on_the_always_schedule_stalls_at_the_weekend_too():
    last = SATURDAY_NOON - timedelta(minutes=5)
    always = FeedExpectation(interval_s=5, grace_s=60, schedule=TradingSchedule.ALWAYS)
    globex = FeedExpectation(interval_s=5, grace_s=60, schedule=TradingSchedule.CME_GLOBEX)
    assert feed_state(last_file_at=last, now=SATURDAY_NOON, expectation=always) is (
        FeedState.STALLED
    )
    assert feed_state(last_file_at=last, now=SATURDAY_NOON, expectation=globex) is (
        FeedState.CLOSED
    )


@pytest.mark.django_db
def test_an_admin_puts_a_feed_on_the_always_schedule_and_it_is_judged_so(administrator, stack):
    response = logged_in(administrator).post(
        reverse(ADD),
        {"feed": "spot-risk", "interval_s": "5", "grace_s": "60", "schedule": "always"},
    )
    assert response.status_code == 302
    _file_ingested(SATURDAY_NOON - timedelta(minutes=5))
    context = feed_context_load(now=SATURDAY_NOON)
    assert context.expectations["spot-risk"].schedule is TradingSchedule.ALWAYS
    assert feed_state_now("spot-risk", now=SATURDAY_NOON, context=context) is FeedState.STALLED


@pytest.mark.django_db
def test_a_feed_name_that_is_not_a_feed_is_refused(administrator):
    page = logged_in(administrator).post(
        reverse(ADD), {"feed": "spot-rsk", "interval_s": "5", "grace_s": "60", "schedule": "always"}
    )
    assert page.status_code == 200
    assert "Select a valid choice. spot-rsk is not one of the available choices." in page.text
    assert not FeedSettings.objects.exists()


@pytest.mark.django_db
def test_a_grace_shorter_than_the_interval_is_refused_with_the_reason(administrator):
    page = logged_in(administrator).post(
        reverse(ADD),
        {"feed": "vtexp", "interval_s": "1800", "grace_s": "600", "schedule": "cme-globex"},
    )
    assert page.status_code == 200
    assert (
        "The grace (600 s) must be at least the expected interval (1800 s): a feed is late "
        "after its interval and stalled only after its grace."
    ) in page.text
    assert not FeedSettings.objects.exists()


@pytest.mark.django_db
def test_a_feed_without_an_interval_takes_any_grace(administrator):
    response = logged_in(administrator).post(
        reverse(ADD),
        {"feed": "tt-instruments", "interval_s": "", "grace_s": "0", "schedule": "always"},
    )
    assert response.status_code == 302
    assert FeedSettings.objects.get().interval_s is None

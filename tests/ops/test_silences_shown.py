"""A silence in force is shown on every ops page, and each alarm it covers says so."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.live import ops_rows_frame
from ops.models import AlarmStatus, Incident, Silence
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed_silenced(oncall) -> Silence:
    return Silence.objects.create(
        target="feed",
        name="tt-orders",
        until=timezone.now() + timedelta(hours=1),
        reason="TT API maintenance window",
        created_by=oncall,
    )


def _pages() -> list[str]:
    incident = Incident.objects.create(alarm_id="dlq-not-empty", title="Messages in the DLQ")
    return [
        reverse("ops:health"),
        reverse("ops:alarms"),
        reverse("ops:feed", args=["tt-orders"]),
        reverse("ops:incident", args=[incident.pk]),
        reverse("ops:runbooks"),
        reverse("ops:runbook", args=["feed-stalled"]),
    ]


def test_a_silence_in_force_is_shown_on_every_ops_page(oncall, stack, feed_silenced):
    client = logged_in(oncall)
    for url in _pages():
        page = client.get(url).content.decode()
        assert "Silenced for maintenance" in page, url
        assert "TT API maintenance window" in page, url


def test_an_ended_silence_is_shown_nowhere(oncall, stack, feed_silenced):
    feed_silenced.until = timezone.now() - timedelta(seconds=1)
    feed_silenced.save()
    client = logged_in(oncall)
    for url in _pages():
        assert "Silenced for maintenance" not in client.get(url).content.decode(), url


def test_each_alarm_a_silence_covers_is_marked_in_its_row(oncall, stack, feed_silenced):
    now = timezone.now()
    for alarm_id in ("feed-stalled-tt-orders", "feed-stalled-spot-risk"):
        AlarmStatus.objects.create(alarm_id=alarm_id, state="ALARM", since=now, reason="silent")
    Silence.objects.create(
        target="alarm",
        name="feed-stalled-spot-risk",
        until=now + timedelta(minutes=30),
        reason="known",
        created_by=oncall,
    )
    pages = [
        logged_in(oncall).get(reverse("ops:alarms")).content.decode(),
        logged_in(oncall).get(reverse("ops:health")).content.decode(),
        ops_rows_frame()["alarms"],  # the live update keeps the mark
    ]
    for page in pages:
        for alarm_id in ("feed-stalled-tt-orders", "feed-stalled-spot-risk"):
            row = page[page.index(f'data-alarm="{alarm_id}"') :].split("</tr>")[0]
            assert "silenced until" in row, alarm_id
        row = page[page.index('data-alarm="feed-stalled-spot-risk"') :].split("</tr>")[0]
        assert "ALARM" in row  # the state still shows


def test_pages_outside_ops_do_not_query_silences(trader, django_assert_max_num_queries):
    client = logged_in(trader)
    client.get(reverse("ladder:ladder"))  # warm the session
    with django_assert_max_num_queries(10) as queries:
        client.get(reverse("ladder:ladder"))
    assert not [q for q in queries.captured_queries if "ops_silence" in q["sql"]]

"""On-call reads why an evaluation or an alarm failed, but never the internal endpoint
URLs, addresses or host:ports a client's error names."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.models import AlarmStatus, EvaluationRun
from ops.wording import endpoint_free
from tests.conftest import logged_in

CLIENT_ERROR = (
    "AwsUnavailable: CloudWatch describe_alarms: Could not connect to the endpoint URL: "
    '"http://moto.internal:5000/" (Redis Cluster cannot be connected: Error 111 connecting '
    "to 10.0.3.7:6379; memorydb-node.abc.use1.cache.amazonaws.com:6379)"
)


def test_endpoint_free_keeps_the_words_and_drops_the_places() -> None:
    text = endpoint_free(CLIENT_ERROR)
    assert "moto.internal" not in text
    assert "10.0.3.7" not in text
    assert "amazonaws.com" not in text
    assert "Could not connect to the endpoint URL" in text
    assert "Redis Cluster cannot be connected" in text


@pytest.mark.django_db
def test_ops_pages_show_failures_without_their_endpoints(stack, oncall) -> None:
    now = timezone.now()
    EvaluationRun.objects.create(
        name="alarms",
        attempted_at=now,
        succeeded_at=now - timedelta(hours=1),  # stale: every ops page says why
        error=CLIENT_ERROR,
    )
    AlarmStatus.objects.create(
        alarm_id="worker-not-running", state="ALARM", since=now, reason=CLIENT_ERROR
    )
    client = logged_in(oncall)
    for url in (
        reverse("ops:health"),
        reverse("ops:alarms"),
        reverse("ops:alarm", args=["worker-not-running"]),
    ):
        page = client.get(url).content.decode()
        assert "Could not connect to the endpoint URL" in page, url
        for place in ("moto.internal", "10.0.3.7", "amazonaws.com"):
            assert place not in page, (url, place)

"""Alarm changes reach Slack once each, retried after a failure, against a real HTTP server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from ops.models import AlarmTransition
from ops.notify import transitions_notify
from tests.conftest import logged_in

ROOT = Path(__file__).resolve().parents[2]


class FakeSlack:
    """A local webhook endpoint: answers with the queued statuses, records each body."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.bodies: list[dict] = []
        slack = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                slack.bodies.append(json.loads(self.rfile.read(length)))
                status = slack.statuses.pop(0) if slack.statuses else 200
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    with override_settings(FRGM_SLACK_WEBHOOK_URL=fake.url):
        yield fake
    fake.server.shutdown()


def _transition(new_state: str) -> AlarmTransition:
    return AlarmTransition.objects.create(
        alarm_id="feed-stalled-spot-risk",
        old_state="OK" if new_state == "ALARM" else "ALARM",
        new_state=new_state,
        reason="no spot-risk file for 75 s",
    )


@pytest.mark.django_db
def test_each_state_change_posts_once_and_never_again_while_it_holds(slack) -> None:
    _transition("ALARM")
    assert transitions_notify() == 1
    assert transitions_notify() == 0  # the state holds: nothing more
    assert transitions_notify() == 0
    _transition("OK")
    assert transitions_notify() == 1
    texts = [body["text"] for body in slack.bodies]
    assert len(texts) == 2
    assert "ALARM" in texts[0]
    assert "Feed spot-risk stalled" in texts[0]
    assert "/ops/runbooks/feed-stalled/" in texts[0]
    assert "OK" in texts[1]


@pytest.mark.django_db
def test_a_failed_post_is_retried_after_its_backoff(slack, caplog) -> None:
    slack.statuses = [500]
    transition = _transition("ALARM")
    assert transitions_notify() == 0
    transition.refresh_from_db()
    assert transition.notify_attempts == 1
    assert transition.notified_at is None
    assert transitions_notify(now=transition.at + timedelta(seconds=1)) == 0  # too soon
    assert transitions_notify(now=transition.at + timedelta(seconds=3)) == 1
    assert len(slack.bodies) == 2  # the failed try and the retry; no third
    assert slack.url not in caplog.text  # the webhook URL is a secret


@pytest.mark.django_db
def test_without_a_webhook_nothing_is_posted_and_nothing_is_lost() -> None:
    _transition("ALARM")
    with override_settings(FRGM_SLACK_WEBHOOK_URL=""):
        assert transitions_notify() == 0
    assert AlarmTransition.objects.get().notified_at is None


@pytest.mark.django_db
def test_an_unreachable_slack_is_counted_not_fatal(caplog) -> None:
    with override_settings(FRGM_SLACK_WEBHOOK_URL="http://127.0.0.1:9/hooks/secret-path"):
        _transition("ALARM")
        assert transitions_notify(now=timezone.now()) == 0
    assert AlarmTransition.objects.get().notify_attempts == 1
    assert "secret-path" not in caplog.text


@pytest.mark.django_db
def test_changes_of_one_evaluation_go_out_in_one_message(slack) -> None:
    for feed in ("spot-risk", "tt-positions", "tt-orders"):
        AlarmTransition.objects.create(
            alarm_id=f"feed-stalled-{feed}", old_state="OK", new_state="ALARM", reason="silent"
        )
    assert transitions_notify() == 3
    assert transitions_notify() == 0
    [body] = slack.bodies
    assert body["text"].startswith("*3 alarm changes*")
    for title in ("Feed spot-risk stalled", "Feed tt-positions stalled", "Feed tt-orders stalled"):
        assert title in body["text"]
    assert body["text"].count("/ops/runbooks/feed-stalled/") == 1  # one runbook serves all three
    assert AlarmTransition.objects.filter(notified_at__isnull=True).count() == 0


def _failing_for(slack: FakeSlack, times: int) -> None:
    slack.statuses = [503] * times


@pytest.mark.django_db
def test_a_long_slack_outage_is_waited_out_with_capped_backoff_not_dropped(slack) -> None:
    _failing_for(slack, 12)
    transition = _transition("ALARM")
    now = transition.at
    for attempt in range(1, 13):  # 2, 4 ... 300, 300 s apart: over half an hour
        assert transitions_notify(now=now) == 0
        transition.refresh_from_db()
        assert transition.notify_attempts == attempt
        now += timedelta(seconds=min(2**attempt, 300))
    assert transition.notify_error == "Slack answered 503"
    assert transitions_notify(now=now - timedelta(seconds=1)) == 0  # 300 s, not 4096 s
    assert transitions_notify(now=now) == 1
    transition.refresh_from_db()
    assert transition.notified_at == now
    assert transition.notify_error == ""
    assert "ALARM" in slack.bodies[-1]["text"]


@pytest.mark.django_db
def test_a_change_superseded_during_an_outage_is_named_in_the_newer_message(slack) -> None:
    _failing_for(slack, 1)
    alarm = _transition("ALARM")
    assert transitions_notify(now=alarm.at) == 0
    back = _transition("OK")
    assert transitions_notify(now=back.at) == 1
    text = slack.bodies[-1]["text"]
    assert text.startswith(":large_green_circle: *OK*")
    assert "Not delivered while Slack was unreachable: ALARM at" in text
    alarm.refresh_from_db()
    assert alarm.superseded
    assert alarm.notified_at is None
    assert transitions_notify(now=back.at + timedelta(hours=1)) == 0  # nothing left to send


@pytest.mark.django_db
def test_changes_slack_has_not_received_are_shown_on_the_alarms_page(slack, oncall) -> None:
    _failing_for(slack, 3)
    transition = _transition("ALARM")
    transitions_notify(now=transition.at)
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    assert "Slack has not received 1 alarm change" in page
    assert "feed-stalled-spot-risk → ALARM" in page
    assert "last error: Slack answered 503" in page
    assert slack.url not in page
    transitions_notify(now=transition.at + timedelta(seconds=2))
    transitions_notify(now=transition.at + timedelta(seconds=6))
    transitions_notify(now=transition.at + timedelta(seconds=14))  # delivered
    assert "Slack has not received" not in logged_in(oncall).get(reverse("ops:alarms")).text


def test_runbook_links_point_at_the_port_the_stack_serves_on() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_PUBLIC_URL],
        env={**env, "FRGM_PORT": "8123"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8123"


SHOW_PUBLIC_URL = "from django.conf import settings; print(settings.FRGM_PUBLIC_URL)"

"""Alarm changes reach Slack once each, retried after a failure, against a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from django.utils import timezone

from ops.models import AlarmTransition
from ops.notify import transitions_notify


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

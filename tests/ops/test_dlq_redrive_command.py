"""``manage.py dlq_redrive`` does from a shell what the ops page's Redrive does:
on-call only, audited, and the moved notifications are ingested."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from lib.aws import client
from tests.feeds.ingest.conftest import POSITIONS_KEY, latest_rows, sample


def _dead_letter(feed_queue) -> None:
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    [notification] = [m for m in feed_queue.receive() if "Records" in m["Body"]]
    sqs = client("sqs")
    sqs.delete_message(QueueUrl=feed_queue.url, ReceiptHandle=notification["ReceiptHandle"])
    sqs.send_message(QueueUrl=feed_queue.dlq_url, MessageBody=notification["Body"])


def test_the_command_moves_dead_letters_back_and_they_are_ingested(oncall, feed_queue):
    _dead_letter(feed_queue)
    out = StringIO()
    call_command("dlq_redrive", "--as", oncall.username, stdout=out)
    assert POSITIONS_KEY in out.getvalue()  # what waited, by file, before moving it
    assert "DLQ: 1 message(s) waiting" in out.getvalue()
    assert "moved 1 message(s)" in out.getvalue()
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    assert all(feed_queue.drain())
    assert latest_rows("tt-positions")
    assert AuditEvent.objects.get(action="dlq.redrive").actor == oncall


def test_peek_lists_and_moves_nothing(oncall, feed_queue):
    _dead_letter(feed_queue)
    out = StringIO()
    call_command("dlq_redrive", "--as", oncall.username, "--peek", stdout=out)
    assert "DLQ: 1 message(s) waiting" in out.getvalue()
    assert feed_queue.depth(feed_queue.dlq_url) == 1
    assert not AuditEvent.objects.filter(action="dlq.redrive").exists()


def test_only_on_call_may_redrive(trader, feed_queue):
    _dead_letter(feed_queue)
    with pytest.raises(CommandError, match="no active on-call user"):
        call_command("dlq_redrive", "--as", trader.username, stdout=StringIO())
    assert feed_queue.depth(feed_queue.dlq_url) == 1

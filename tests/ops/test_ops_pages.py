"""Ops pages and actions: who may do what, and that each action does it and is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from lib.aws import client
from ops.models import Incident, IncidentEvent, Silence
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import POSITIONS_KEY, latest_rows, sample

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident() -> Incident:
    return Incident.objects.create(
        alarm_id="feed-stalled-spot-risk", title="Feed spot-risk stalled"
    )


def _future() -> str:
    return (timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")


ACTIONS = [
    ("get", "ops:health", {}, {}),
    ("get", "ops:alarms", {}, {}),
    ("get", "ops:alarm", {"alarm_id": "dlq-not-empty"}, {}),
    ("get", "ops:feed", {"feed": "spot-risk"}, {}),
    ("post", "ops:silence_create", {}, {"what": "feed:spot-risk", "until": "", "reason": "x"}),
    ("post", "ops:dlq_redrive", {}, {"confirm": "redrive"}),
]


@pytest.mark.parametrize(("method", "name", "kwargs", "data"), ACTIONS)
@pytest.mark.parametrize(
    ("persona", "allowed"), [("trader", False), ("oncall", True), ("administrator", True)]
)
def test_the_role_matrix_for_every_ops_action(
    request, stack, method, name, kwargs, data, persona, allowed
):
    client = logged_in(request.getfixturevalue(persona))
    response = getattr(client, method)(reverse(name, kwargs=kwargs), data)
    if allowed:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("action", ["ack", "note", "resolve"])
def test_a_trader_cannot_touch_an_incident(trader, incident, action):
    response = logged_in(trader).post(
        reverse("ops:incident", args=[incident.pk]), {"action": action, "text": "x"}
    )
    assert response.status_code == 403
    assert not IncidentEvent.objects.exists()


def test_the_health_page_shows_every_feed_and_its_state(
    oncall, stack, django_assert_max_num_queries
):
    client = logged_in(oncall)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("ops:health")).content.decode()
    for feed in ("spot-risk", "vtexp", "tt-positions", "tt-orders", "tt-instruments"):
        assert f'data-feed="{feed}"' in page
    assert "never seen" in page or "closed" in page


def test_on_call_acknowledges_notes_and_resolves_with_a_timeline_and_audit(oncall, incident):
    client = logged_in(oncall)
    url = reverse("ops:incident", args=[incident.pk])
    client.post(url, {"action": "ack"})
    client.post(url, {"action": "note", "text": "feed server restarted"})
    client.post(url, {"action": "resolve", "text": "files flowing again"})
    incident.refresh_from_db()
    assert incident.state == "resolved"
    kinds = [(e.kind, e.by.username, e.text) for e in incident.events.all()]
    assert kinds == [
        ("ack", "oscar-oncall", ""),
        ("note", "oscar-oncall", "feed server restarted"),
        ("resolve", "oscar-oncall", "files flowing again"),
    ]
    assert list(AuditEvent.objects.order_by("at").values_list("action", flat=True)) == [
        "incident.ack",
        "incident.note",
        "incident.resolve",
    ]
    page = client.get(url).content.decode()
    assert "feed server restarted" in page
    assert Incident.objects.count() == 1  # nothing is deleted


def test_acknowledging_twice_is_explained_not_an_error(oncall, incident):
    client = logged_in(oncall)
    url = reverse("ops:incident", args=[incident.pk])
    client.post(url, {"action": "ack"})
    page = client.post(url, {"action": "ack"}, follow=True).content.decode()
    assert "is acknowledged, not open" in page


def test_a_silence_in_the_past_is_refused_with_a_reason(oncall):
    page = (
        logged_in(oncall)
        .post(
            reverse("ops:silence_create"),
            {"what": "feed:spot-risk", "until": "2020-01-01T10:00", "reason": "late"},
            follow=True,
        )
        .content.decode()
    )
    assert "Choose a time in the future" in page
    assert not Silence.objects.exists()


def test_a_silence_is_shown_and_audited(oncall, stack):
    client = logged_in(oncall)
    client.post(
        reverse("ops:silence_create"),
        {"what": "feed:spot-risk", "until": _future(), "reason": "feed server upgrade"},
    )
    assert Silence.objects.get().name == "spot-risk"
    assert AuditEvent.objects.get().action == "silence.create"
    assert "feed server upgrade" in client.get(reverse("ops:health")).content.decode()


def test_redrive_moves_dead_letters_back_and_they_are_ingested(oncall, feed_queue):
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    [notification] = [m for m in feed_queue.receive() if "Records" in m["Body"]]
    sqs = client("sqs")
    sqs.delete_message(QueueUrl=feed_queue.url, ReceiptHandle=notification["ReceiptHandle"])
    sqs.send_message(QueueUrl=feed_queue.dlq_url, MessageBody=notification["Body"])
    assert feed_queue.depth(feed_queue.dlq_url) == 1

    refused = logged_in(oncall).post(reverse("ops:dlq_redrive"), {"confirm": "yes"}, follow=True)
    assert "Type redrive to confirm" in refused.content.decode()
    assert feed_queue.depth(feed_queue.dlq_url) == 1

    logged_in(oncall).post(reverse("ops:dlq_redrive"), {"confirm": "redrive"})
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    assert all(feed_queue.drain())
    assert latest_rows("tt-positions")
    assert AuditEvent.objects.get(action="dlq.redrive").actor.username == "oscar-oncall"


def test_a_quarantined_file_can_be_downloaded_raw_by_on_call(oncall, trader, feed_queue):
    from feeds.models import QuarantinedFile

    feed_queue.put(POSITIONS_KEY, sample("bad/tt_positions_status_error.json"))
    feed_queue.drain()
    record = QuarantinedFile.objects.get()
    url = reverse("ops:quarantine_raw", args=[record.pk])
    assert logged_in(trader).get(url).status_code == 403
    response = logged_in(oncall).get(url)
    assert response.status_code == 302
    assert "X-Amz-Signature" in response["Location"] or "Signature" in response["Location"]
    assert AuditEvent.objects.get().action == "quarantine.download"


def test_the_feed_page_names_the_chunks_an_incomplete_batch_misses(oncall, feed_queue):
    # Chunks 1 and 3 of a three-chunk batch from an hour's first minutes: chunk 2 never came.
    stamp = (timezone.localtime() - timedelta(minutes=5)).strftime("%Y%m%d_%H%M%S")
    header = b"Key,BID,ASK,STRIKE,ITYPE,ADJTHEOR,IVBID,IVASK,IVAVERAGE\n"
    day = f"{stamp[:4]}-{stamp[4:6]}-{stamp[6:8]}"
    for chunk, row in (
        (1, b"XCME.ZN.SEP25,111.1562500,111.1718750,INVALID,F,,,,\n"),
        (3, b"XCME.OZN.AUG25.111.C,.2968750,.3125000,111,C,.3080913,414.7,448.0,431.4\n"),
    ):
        key = f"actant/spot-risk/{day}/bav_analysis_{stamp}_chunk_{chunk:02d}_of_03.csv"
        feed_queue.put(key, header + row)
    assert all(feed_queue.drain())
    text = logged_in(oncall).get(reverse("ops:feed", kwargs={"feed": "spot-risk"})).text
    assert f"{stamp}: 2 of 3 chunks, missing 2" in text

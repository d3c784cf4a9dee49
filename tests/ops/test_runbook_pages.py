"""Every alarm links to a runbook that names it; runbooks render and search for on-call."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ops.alarms import ALARMS
from ops.runbooks import runbook_get
from tests.conftest import logged_in


@pytest.mark.parametrize("alarm", ALARMS, ids=[a.id for a in ALARMS])
def test_every_alarm_names_a_runbook_that_serves_it(alarm):
    runbook = runbook_get(alarm.runbook)
    assert runbook is not None, f"{alarm.id}: no runbook {alarm.runbook!r}"
    assert alarm.id in runbook.alarms


@pytest.mark.django_db
def test_on_call_reads_a_runbook_rendered_and_linked_from_its_alarm(oncall):
    client = logged_in(oncall)
    page = client.get(reverse("ops:runbook", args=["feed-stalled"])).content.decode()
    assert "<h1>Feed stalled" in page
    assert "feed-stalled-spot-risk" in page
    assert client.get(reverse("ops:runbook", args=["no-such"])).status_code == 404


@pytest.mark.django_db
def test_runbooks_can_be_searched(oncall):
    client = logged_in(oncall)
    page = client.get(reverse("ops:runbooks"), {"q": "redrive"}).content.decode()
    assert reverse("ops:runbook", args=["dlq-poison-files"]) in page
    nothing = client.get(reverse("ops:runbooks"), {"q": "zzzz-nothing"}).content.decode()
    assert "No runbook matches" in nothing


@pytest.mark.django_db
def test_traders_do_not_get_runbooks(trader):
    assert logged_in(trader).get(reverse("ops:runbooks")).status_code == 403

"""Every runbook that names an alarm is one click away from that alarm's page, its
incident and its Slack message, not only the one runbook its definition names."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.alarms import ALARMS
from ops.models import AlarmStatus, AlarmTransition, Incident
from ops.notify import changes_message
from ops.runbooks import runbooks_all, runbooks_for_alarm
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _link(slug: str) -> str:
    return f'href="{reverse("ops:runbook", args=[slug])}"'


@pytest.mark.parametrize("alarm", ALARMS, ids=[a.id for a in ALARMS])
def test_an_alarms_page_links_its_own_runbook_and_every_one_naming_it(oncall, alarm):
    page = logged_in(oncall).get(reverse("ops:alarm", args=[alarm.id])).content.decode()
    assert alarm.title in page
    for slug in {alarm.runbook, *(r.slug for r in runbooks_for_alarm(alarm.id))}:
        assert _link(slug) in page, slug


def test_runbooks_no_definition_names_are_reachable_from_their_alarms(oncall):
    named = {r.slug for r in runbooks_all() if r.alarms}
    own = {alarm.runbook for alarm in ALARMS}
    assert {"tt-api-failure", "restore-and-rebuild"} <= named - own  # the audit's two
    client = logged_in(oncall)
    linked = set()
    for alarm in ALARMS:
        page = client.get(reverse("ops:alarm", args=[alarm.id])).content.decode()
        linked |= {slug for slug in named if _link(slug) in page}
    assert linked == named


def test_an_incident_links_every_runbook_naming_its_alarm(oncall):
    incident = Incident.objects.create(
        alarm_id="feed-stalled-tt-orders", title="Feed tt-orders stalled"
    )
    page = logged_in(oncall).get(reverse("ops:incident", args=[incident.pk])).content.decode()
    assert _link("feed-stalled") in page
    assert _link("tt-api-failure") in page
    assert f'href="{reverse("ops:alarm", args=["feed-stalled-tt-orders"])}"' in page


def test_a_slack_message_links_every_runbook_naming_its_alarms_once():
    changes = [
        AlarmTransition(alarm_id=alarm_id, old_state="OK", new_state="ALARM", reason="x")
        for alarm_id in ("feed-stalled-tt-positions", "feed-stalled-tt-orders", "redis-evictions")
    ]
    text = str(changes_message(changes)["text"])
    for slug in ("feed-stalled", "tt-api-failure", "redis-memory", "restore-and-rebuild"):
        assert text.count(f"/ops/runbooks/{slug}/") == 1, slug
    assert text.index("/feed-stalled/") < text.index("/tt-api-failure/")  # its own first


def test_the_alarm_rows_link_the_alarm_page_and_its_runbooks(oncall):
    AlarmStatus.objects.create(
        alarm_id="redis-evictions", state="OK", since=timezone.now(), reason=""
    )
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    row = page[page.index('data-alarm="redis-evictions"') :].split("</tr>")[0]
    assert f'href="{reverse("ops:alarm", args=["redis-evictions"])}"' in row
    assert _link("redis-memory") in row
    assert _link("restore-and-rebuild") in row


def test_an_unknown_alarm_has_no_page(oncall):
    assert logged_in(oncall).get(reverse("ops:alarm", args=["no-such-alarm"])).status_code == 404

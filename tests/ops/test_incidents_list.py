"""On-call finds every incident, resolved ones too: open first, then resolved, filtered."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.models import Incident, IncidentEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def _incident(alarm_id: str, *, hours_ago: float, state: str = "open", resolved_after_h=None):
    opened = timezone.now() - timedelta(hours=hours_ago)
    incident = Incident.objects.create(
        alarm_id=alarm_id,
        title=f"{alarm_id} {hours_ago} h ago",
        opened_at=opened,
        state=state,
        resolved_at=opened + timedelta(hours=resolved_after_h) if resolved_after_h else None,
    )
    IncidentEvent.objects.create(incident=incident, kind="alarm", text="OK -> ALARM")
    return incident


def _listed(client, **filters) -> list[int]:
    page = client.get(reverse("ops:incidents"), filters).content.decode()
    return [int(pk) for pk in re.findall(r'data-incident="(\d+)"', page)]


@pytest.fixture
def incidents() -> dict[str, Incident]:
    return {
        "old_resolved": _incident(
            "dlq-not-empty", hours_ago=24 * 10, state="resolved", resolved_after_h=1
        ),
        "resolved": _incident(
            "feed-stalled-vtexp", hours_ago=5, state="resolved", resolved_after_h=2
        ),
        "acked": _incident("feed-stalled-spot-risk", hours_ago=3, state="acknowledged"),
        "open": _incident("worker-not-running", hours_ago=1),
    }


def test_open_and_acknowledged_come_first_then_the_resolved_latest_first(oncall, incidents):
    order = _listed(logged_in(oncall))
    names = {i.pk: name for name, i in incidents.items()}
    assert [names[pk] for pk in order] == ["open", "acked", "resolved", "old_resolved"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"state": "resolved"}, ["resolved", "old_resolved"]),
        ({"state": "active"}, ["open", "acked"]),
        ({"alarm": "dlq-not-empty"}, ["old_resolved"]),
        ({"severity": "warning"}, ["old_resolved"]),
        ({"severity": "critical", "state": "resolved"}, ["resolved"]),
        ({"within_days": "1"}, ["open", "acked", "resolved"]),
    ],
)
def test_filters_narrow_the_list(oncall, incidents, filters, expected):
    names = {i.pk: name for name, i in incidents.items()}
    assert [names[pk] for pk in _listed(logged_in(oncall), **filters)] == expected


def test_an_unknown_filter_value_is_said_not_ignored_silently(oncall, incidents):
    page = logged_in(oncall).get(reverse("ops:incidents"), {"state": "lost"}).content.decode()
    assert "Select a valid choice" in page


@pytest.mark.parametrize(
    ("persona", "status"), [("trader", 403), ("oncall", 200), ("administrator", 200)]
)
def test_on_call_and_admins_see_the_list_traders_do_not(request, persona, status):
    client = logged_in(request.getfixturevalue(persona))
    assert client.get(reverse("ops:incidents")).status_code == status


def test_every_ops_page_links_the_list(oncall):
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    assert f'href="{reverse("ops:incidents")}"' in page


def test_the_list_costs_the_same_queries_for_many_incidents(
    oncall, incidents, django_assert_num_queries
):
    client = logged_in(oncall)
    client.get(reverse("ops:incidents"))  # the session's first read
    for n in range(40):
        _incident("feed-stalled-tt-orders", hours_ago=n / 10)
    # session, user, roles, incidents count, the page, silences and evaluation (sub-nav)
    with django_assert_num_queries(7):
        page = client.get(reverse("ops:incidents")).content.decode()
    assert page.count("data-incident=") == 44

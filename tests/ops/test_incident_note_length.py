"""An incident note is at most 4,000 characters, whichever way it arrives."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ops import services
from ops.models import NOTE_MAX_CHARS, Incident, IncidentEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident() -> Incident:
    return Incident.objects.create(alarm_id="feed-stalled-spot-risk", title="Feed stalled")


def test_a_note_over_the_limit_is_refused_with_a_form_error(oncall, incident) -> None:
    url = reverse("ops:incident", args=[incident.pk])
    response = logged_in(oncall).post(url, {"action": "note", "text": "x" * 250_000})
    assert response.status_code == 400
    assert "A note is at most 4000 characters; this one has 250000." in response.content.decode()
    assert not IncidentEvent.objects.exists()


def test_a_note_at_the_limit_is_kept(oncall, incident) -> None:
    url = reverse("ops:incident", args=[incident.pk])
    response = logged_in(oncall).post(url, {"action": "note", "text": "y" * NOTE_MAX_CHARS})
    assert response.status_code == 302
    assert len(IncidentEvent.objects.get().text) == NOTE_MAX_CHARS


def test_a_resolution_text_over_the_limit_leaves_the_incident_open(oncall, incident) -> None:
    url = reverse("ops:incident", args=[incident.pk])
    response = logged_in(oncall).post(url, {"action": "resolve", "text": "z" * 5000})
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.state == Incident.State.OPEN


def test_the_service_refuses_a_long_note_from_any_caller(oncall, incident) -> None:
    too_long = "at most 4,000 characters; this one has 4,001"
    with pytest.raises(services.ActionRefused, match=too_long):
        services.incident_note_add(incident=incident, user=oncall, text="n" * 4001)
    with pytest.raises(services.ActionRefused, match="at most 4,000"):
        services.incident_resolve(incident=incident, user=oncall, text="n" * 4001)
    assert not IncidentEvent.objects.exists()


def test_the_model_refuses_a_long_note_in_validation(incident) -> None:
    event = IncidentEvent(incident=incident, kind=IncidentEvent.Kind.NOTE, text="m" * 4001)
    with pytest.raises(ValidationError, match="at most 4000 characters"):
        event.full_clean()

"""DynamoDB (history) down degrades analytics to a note: the page still answers, its
JSON says which store is down, and no text names the internal endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings
from django.urls import reverse

from devstack.processes import free_port
from lib.aws import clients_reset
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def history_down(stack) -> Iterator[str]:
    """AWS's stand-in unreachable (a port nothing listens on); the state store is up."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    with override_settings(AWS_ENDPOINT_URL=endpoint, AWS_TIMEOUT_S=0.5):
        clients_reset()
        yield endpoint
    clients_reset()


def test_the_analytics_page_answers_with_a_note_when_history_is_down(history_down, trader):
    response = logged_in(trader).get(reverse("ladder:analytics"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "history (DynamoDB) is unavailable" in text
    assert history_down not in text
    assert "127.0.0.1" not in text


def test_the_series_json_is_a_503_naming_no_endpoint(history_down, trader):
    response = logged_in(trader).get(reverse("ladder:analytics-series"))
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"] == "history (DynamoDB) is unavailable; try again shortly"
    assert "127.0.0.1" not in response.content.decode()

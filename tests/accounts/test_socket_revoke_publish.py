"""Closing sockets is best effort: with the messaging Redis away, logging out and
deactivating a user still work (the guard's periodic re-check closes the sockets)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from devstack.processes import free_port
from frgm_site.channel_layers import channel_layers_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def messaging_redis_away():
    with override_settings(
        CHANNEL_LAYERS=channel_layers_config(f"redis://127.0.0.1:{free_port()}/0")
    ):
        yield


@pytest.mark.usefixtures("messaging_redis_away")
def test_logging_out_works_with_the_messaging_redis_away(
    trader, django_capture_on_commit_callbacks, caplog
) -> None:
    client = Client()
    client.force_login(trader)
    with caplog.at_level(logging.WARNING), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "sockets: could not publish" in caplog.text


@pytest.mark.usefixtures("messaging_redis_away")
def test_deactivating_a_user_works_with_the_messaging_redis_away(
    trader, django_capture_on_commit_callbacks
) -> None:
    trader.is_active = False
    with django_capture_on_commit_callbacks(execute=True) as sent:
        trader.save()
    assert len(sent) == 1  # the revocation was attempted, and swallowed
    trader.refresh_from_db()
    assert not trader.is_active


def test_clearing_expired_sessions_publishes_nothing(
    trader, django_capture_on_commit_callbacks
) -> None:
    client = Client()
    client.force_login(trader)
    Session.objects.update(expire_date=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks() as sent:
        call_command("clearsessions")
    assert not Session.objects.exists()
    assert sent == []  # their sockets are the periodic re-check's

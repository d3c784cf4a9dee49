"""A secret's value shows on no page and in no log line: every URL in the URL conf is
opened by an admin, its path parameters filled with real objects, so a new page
(or a new admin model) cannot escape the check."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from accounts.api_auth import api_token_create
from feeds.models import QuarantinedFile
from feeds.records import Feed
from ops.models import (
    AlarmStatus,
    AlarmTransition,
    FeedSettings,
    Holiday,
    Incident,
    IncidentEvent,
    Silence,
)
from ops.runbooks import runbooks_all
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import FeedQueue, feed_queue
from tests.ladder.pages.conftest import sample_desk_ingest
from tests.site.url_conf import url_patterns_all

__all__ = ["feed_queue"]  # a fixture, used by name

pytestmark = pytest.mark.django_db

# Patterns that answer 404 by design, whatever they are given.
NOT_FOUND_BY_DESIGN = {
    "admin/r/<path:content_type_id>/<path:object_id>/",  # "view on site": no model has a page
    "admin/(?P<url>.*)$",  # the admin's catch-all for unknown URLs
}


ALL_URLS = url_patterns_all()


@pytest.fixture
def one_of_everything(administrator, planted_secret, feed_queue: FeedQueue) -> dict[str, Any]:
    """The desk's sample files ingested (so the ladder, spot risk and API have data), a
    row of every model the admin lists, and the objects the ops pages are about."""
    sample_desk_ingest(feed_queue)
    now = timezone.now()
    incident = Incident.objects.create(alarm_id=f"feed-stalled-{Feed.SPOT_RISK}", title="Stalled")
    IncidentEvent.objects.create(incident=incident, kind=IncidentEvent.Kind.NOTE, text="n")
    quarantined = QuarantinedFile.objects.create(
        bucket="frgm-feed-local",
        key="actant/spot-risk/2025-07-21/bad.csv",
        feed=Feed.SPOT_RISK,
        kind=QuarantinedFile.Kind.PARSE_ERROR,
        reason="a row is short",
    )
    FeedSettings.objects.create(feed=Feed.SPOT_RISK, interval_s=30, grace_s=120)
    Holiday.objects.create(day=now.date(), name="A holiday")
    Silence.objects.create(
        target=Silence.Target.FEED,
        name=Feed.SPOT_RISK,
        until=now + timedelta(hours=1),
        reason="maintenance",
        created_by=administrator,
    )
    alarm_id = f"feed-stalled-{Feed.SPOT_RISK}"
    AlarmStatus.objects.create(alarm_id=alarm_id, state="OK", since=now)
    AlarmTransition.objects.create(alarm_id=alarm_id, old_state="OK", new_state="ALARM")
    api_token_create(user=administrator, name="desk-script")
    access = {
        "user_agent": "pytest",
        "ip_address": "203.0.113.9",
        "username": "mallory",  # not the admin, whose login would reset the attempt
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    for model in (AccessLog, AccessFailureLog):
        model.objects.create(**access)
    AccessAttempt.objects.create(**access, get_data="", post_data="", failures_since_start=1)
    return {
        "incident": incident,
        "quarantined": quarantined,
        "reference": planted_secret[0],
        "alarm_id": alarm_id,
    }


def _model_of(pattern: str) -> Any:
    """The model an admin page is about, or None."""
    for model in admin.site._registry:
        if pattern.startswith(f"admin/{model._meta.app_label}/{model._meta.model_name}/"):
            return model
    return None


# Which fixture object a page's <pk> names.
PK_OF = {"ops:quarantine_raw": "quarantined", "ops:incident": "incident"}


def _values(pattern: str, name: str, objects: dict[str, Any]) -> dict[str, str]:
    """A real value for each parameter of ``pattern``."""
    model = _model_of(pattern)
    instance = model.objects.order_by("pk").first() if model else objects["reference"]
    assert instance is not None, f"one_of_everything makes no {model.__name__}: add one"
    return {
        "feed": Feed.SPOT_RISK.value,
        "alarm_id": objects["alarm_id"],
        "slug": runbooks_all()[0].slug,
        "kind": "redrive",  # an ops task (replay, rebuild, redrive)
        "app_label": "ops",
        "url": "no-such-page/",
        "content_type_id": str(ContentType.objects.get_for_model(instance).pk),
        "object_id": str(instance.pk),
        "id": str(instance.pk),
        "pk": str(objects[PK_OF[name]].pk) if name in PK_OF else "",
    }


def _url(pattern: str, name: str, objects: dict[str, Any]) -> str:
    values = _values(pattern, name, objects)

    def fill(match: re.Match[str]) -> str:
        parameter = match[1]
        assert values.get(parameter), f"{pattern}: no real value for <{parameter}>: add one"
        return values[parameter]

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, pattern)  # regex groups, then converters
    url = re.sub(r"<(?:\w+:)?(\w+)>", fill, url)
    return "/" + url.replace("^", "").replace("$", "")


def test_the_secret_value_appears_in_no_page_and_no_log(
    administrator, one_of_everything, planted_secret, caplog
) -> None:
    reference, canary = planted_secret
    caplog.set_level(logging.DEBUG)
    browser = logged_in(administrator)
    verified = browser.post(
        reverse("admin:ops_secretreference_changelist"),
        {"action": "verify", "_selected_action": [reference.pk]},
        follow=True,
    )
    assert verified.status_code == 200
    assert canary not in verified.content.decode()
    for pattern, name in ALL_URLS:
        url = _url(pattern, name, one_of_everything)
        response = browser.get(url)
        assert response.status_code < 500, f"{url} answered {response.status_code}"
        if pattern not in NOT_FOUND_BY_DESIGN:
            assert response.status_code != 404, f"{url} ({name}) found nothing to show"
        shown = b"".join(response) if response.streaming else response.content
        assert canary not in shown.decode(errors="replace"), url
        assert canary not in response.get("Location", ""), url
    assert canary not in caplog.text

"""The live pages carry each feed's expected interval, as admins set it, for the stale banner."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from ops.models import FeedSettings
from tests.conftest import logged_in
from tests.ladder.pages.html import parse


@pytest.mark.parametrize("url", [reverse("ladder:ladder"), reverse("ladder:spot_risk")])
def test_the_page_carries_the_feeds_expected_intervals(desk, trader, url: str) -> None:
    FeedSettings.objects.create(feed="tt-orders", interval_s=12, grace_s=90)
    soup = parse(logged_in(trader).get(url).content)
    intervals = json.loads(soup.one("script", id="feed-intervals").text)
    assert intervals["tt-orders"] == 12  # the admin's setting
    assert intervals["spot-risk"] == 5  # the default
    assert intervals["tt-instruments"] is None  # files come on change: never stale

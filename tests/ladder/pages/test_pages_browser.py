"""In real Chromium: re-centring, sorting, filtering and folding work on the served pages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Group, User

from tests.browser.support import BROWSER_MARKS, chromium_page, served_app, session_cookie
from tests.feeds.ingest.conftest import FeedQueue

# A function, not an expression: Playwright polls an expression with eval(), which
# the site's Content-Security-Policy refuses.
SPOT_VISIBLE = """() => {
  const box = document.getElementById('ladder-scroll'), row = document.querySelector('tr.spot');
  const top = row.offsetTop - box.scrollTop;
  return top >= 0 && top + row.offsetHeight <= box.clientHeight;
}"""
SCROLL_AWAY = "document.getElementById('ladder-scroll').scrollTop = 0"

pytestmark = BROWSER_MARKS


@pytest.fixture
def page(transactional_db: None, desk: FeedQueue) -> Iterator:
    """A trader's Chromium tab on the real ASGI app, after the sample files."""
    trader = User.objects.create_user("tina-pages", password="pw-tina-pages")
    trader.groups.add(Group.objects.get_or_create(name="trader")[0])
    with (
        served_app(websockets=False) as url,
        chromium_page(url, cookies=session_cookie(trader, url)) as tab,
    ):
        yield tab


def test_the_ladder_opens_on_spot_and_c_or_the_button_recentres(page) -> None:
    page.goto("/ladder/")
    page.wait_for_function(SPOT_VISIBLE)
    page.evaluate(SCROLL_AWAY)
    assert not page.evaluate(SPOT_VISIBLE)
    page.keyboard.press("c")
    assert page.evaluate(SPOT_VISIBLE)
    page.evaluate(SCROLL_AWAY)
    page.click("#recentre")
    assert page.evaluate(SPOT_VISIBLE)
    assert page.errors == []


def test_auto_recentre_waits_for_the_idle_seconds_and_is_remembered(page) -> None:
    page.goto("/ladder/")
    page.select_option("#auto-recentre", "leave")
    page.fill("#idle-seconds", "2")
    page.dispatch_event("#idle-seconds", "change")
    page.evaluate(SCROLL_AWAY)
    page.wait_for_timeout(1000)
    assert not page.evaluate(SPOT_VISIBLE)  # the trader scrolled a second ago: leave it
    page.wait_for_function(SPOT_VISIBLE, timeout=5000)
    page.reload()
    assert page.input_value("#auto-recentre") == "leave"
    assert page.input_value("#idle-seconds") == "2"


def test_spot_risk_sorts_filters_and_folds_the_expired_group(page) -> None:
    page.goto("/ladder/spot-risk/")
    assert page.is_hidden('tbody[data-expiry="21JUL25"] tr.line >> nth=0')  # no prices: folded
    page.click('tbody[data-expiry="21JUL25"] button.toggle')
    assert page.is_visible('tbody[data-expiry="21JUL25"] tr.line >> nth=0')
    page.click('th[data-col="delta"]')
    deltas = page.eval_on_selector_all(
        'tbody[data-expiry="AUG25"] tr.line td[data-col="delta"]',
        "cells => cells.map(c => Number(c.dataset.value))",
    )
    assert deltas == sorted(deltas)
    assert page.get_attribute('th[data-col="delta"]', "aria-sort") == "ascending"
    page.select_option("#expiry-filter", "AUG25")
    assert page.is_hidden('tbody[data-expiry="22JUL25"]')
    assert page.is_visible('tbody[data-expiry="AUG25"]')
    assert "expiry=AUG25" in page.url
    assert page.errors == []

"""A trader in real Chromium while the state store is down: the last ladder read,
under a banner that says what is wrong, and the page whole again when it is back."""

from __future__ import annotations

import time

from django.contrib.auth.models import Group, User

from tests.browser.support import (
    BROWSER_MARKS,
    SCREENSHOTS,
    chromium_page,
    served_app,
    session_cookie,
)
from tests.ladder.pages.conftest import sample_desk_ingest

pytestmark = BROWSER_MARKS
PNL_AT_110_040 = 'tr[data-price="110.125"] td[data-col="pnl"]'


def test_the_ladder_shows_its_last_numbers_under_a_banner_and_recovers(
    transactional_db,
    own_state_store,
    feed_queue,
) -> None:
    sample_desk_ingest(feed_queue)
    trader = User.objects.create_user("tina-banner", password="desk-pass-9f2")
    trader.groups.add(Group.objects.get_or_create(name="trader")[0])
    with served_app() as url, chromium_page(url, cookies=session_cookie(trader, url)) as page:
        page.goto("/ladder/")
        pnl = page.inner_text(PNL_AT_110_040).strip()
        assert page.query_selector("#store-banner") is None

        own_state_store.stop()
        page.goto("/ladder/")
        banner = page.locator("#store-banner")
        assert banner.is_visible()
        assert "State store unavailable" in banner.inner_text()
        assert page.inner_text(PNL_AT_110_040).strip() == pnl  # the last ladder read
        assert page.locator("#read-at").is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ladder_state_store_down.png"))

        own_state_store.start()
        deadline = time.monotonic() + 15
        while True:
            page.goto("/ladder/")
            if page.query_selector("#store-banner") is None:
                break
            assert time.monotonic() < deadline, "the banner stayed after the store came back"
            page.wait_for_timeout(300)
        assert page.query_selector("#read-at") is None
        assert page.inner_text(PNL_AT_110_040).strip() == pnl
        assert page.errors == []

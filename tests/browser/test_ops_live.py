"""On-call in real Chromium: the ops page follows the feeds over its websocket, no reload."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from ops.scheduler import ops_cycle_run
from tests.browser.support import (
    BROWSER_MARKS,
    SCREENSHOTS,
    chromium_page,
    served_app,
    session_cookie,
)
from tests.feeds.ingest.conftest import sample

pytestmark = BROWSER_MARKS
POSITIONS_FILES = 'tr[data-feed="tt-positions"] td:nth-child(4)'  # files in the last minute


def test_the_ops_page_counts_a_new_file_without_a_reload(desk) -> None:
    oncall = User.objects.create_user("omar-ops", password="pw-omar-ops")
    oncall.groups.add(Group.objects.get_or_create(name="oncall")[0])
    ops_cycle_run()  # what the ops scheduler process does every 15 s
    with served_app() as url, chromium_page(url, cookies=session_cookie(oncall, url)) as page:
        page.goto("/ops/")
        assert page.inner_text(POSITIONS_FILES).strip() == "1"  # the desk's sample file
        assert "not evaluated" not in page.inner_text("main")
        page.evaluate("window.__sameDocument = true")
        desk.put(
            "tt/positions/2025-07-21/positions_20250721_203109.json",
            sample("tt/positions_response.json").replace(
                b'"netPosition": 219', b'"netPosition": 220'
            ),
        )
        page.wait_for_function(
            f"document.querySelector('{POSITIONS_FILES}').innerText.trim() === '2'", timeout=10000
        )
        assert page.evaluate("window.__sameDocument === true")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ops.png"), full_page=True)
        assert page.errors == []

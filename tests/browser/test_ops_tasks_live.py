"""On-call in real Chromium: a redrive started on the Operations page runs on the
worker, and its row turns from queued to done on the same page, no reload."""

from __future__ import annotations

from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group, User
from django.test import override_settings

from frgm_site.celery import app
from tests.browser.support import (
    BROWSER_MARKS,
    SCREENSHOTS,
    chromium_page,
    served_app,
    session_cookie,
)
from tests.ops.conftest import celery_broker
from tests.ops.tasks.support import dead_letters

pytestmark = BROWSER_MARKS
RUN_ROW = "#task-runs tr[data-run]"


def test_a_redrive_started_on_the_page_finishes_there(transactional_db, stack, feed_queue):
    oncall = User.objects.create_user("omar-ops", password="pw-omar-ops")
    oncall.groups.add(Group.objects.get_or_create(name="oncall")[0])
    dead_letters(feed_queue, 3)
    celery_broker(stack.messaging_url)
    with served_app() as url, chromium_page(url, cookies=session_cookie(oncall, url)) as page:
        page.goto("/ops/tasks/")
        assert "3 message(s) waiting." in page.inner_text("#redrive-form")
        page.fill("#redrive-form input[name=confirm]", "redrive")
        page.click("#redrive-form button[type=submit]")
        page.wait_for_url("**/ops/tasks/#run-*")
        assert page.get_attribute(RUN_ROW, "data-status") == "queued"  # no worker yet
        page.evaluate("window.__sameDocument = true")

        # The worker comes up only now: what follows reaches the page over its socket.
        with (
            override_settings(FRGM_CONSUME_NOTIFICATIONS=False),
            start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING"),
        ):
            page.wait_for_function(
                f"document.querySelector('{RUN_ROW}').dataset.status === 'done'", timeout=30000
            )
        assert page.evaluate("window.__sameDocument === true")
        row = page.inner_text("#task-runs")
        assert "3/3 (100%)" in row
        assert "moved 3" in row
        assert "Moved 3 message(s) back to the feed queue" in row
        assert "omar-ops" in row
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "ops-tasks.png"), full_page=True)
        assert page.errors == []
    assert feed_queue.depth(feed_queue.dlq_url) == 0

"""Who may start an operation, what a bad value says, and one run per lock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.consumers import CLOSE_FORBIDDEN
from accounts.models import AuditEvent
from ops.models import OpsTaskRun
from ops.task_runs import RunRefused, task_run_start
from tests.conftest import logged_in
from tests.ops.tasks.support import ORIGIN, cookie

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("replay", {"day": "2025-07-21"}),
        ("rebuild", {"day": "2025-07-21"}),
        ("redrive", {"confirm": "redrive"}),
    ],
)
def test_a_trader_may_neither_see_nor_start_an_operation(stack, trader, kind, data):
    browser = logged_in(trader)
    assert browser.get(reverse("ops:tasks")).status_code == 403
    assert browser.post(reverse("ops:task_start", args=[kind]), data).status_code == 403
    assert not OpsTaskRun.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
async def test_a_trader_is_refused_the_runs_socket(stack, trader):
    from channels.testing import WebsocketCommunicator

    from frgm_site.asgi import application

    communicator = WebsocketCommunicator(
        application, "/ws/ops/tasks/", headers=[ORIGIN, await cookie(trader)]
    )
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_output() == {
        "type": "websocket.close",
        "code": CLOSE_FORBIDDEN,
    }


@pytest.mark.parametrize("typed", ["21/07/2025", "2025-13-01", "yesterday"])
def test_a_date_that_is_not_one_is_explained_not_a_server_error(stack, oncall, typed):
    response = logged_in(oncall).post(reverse("ops:task_start", args=["replay"]), {"day": typed})
    assert response.status_code == 400
    assert "Enter the trading date as YYYY-MM-DD, e.g. 2025-07-21." in response.content.decode()
    assert not OpsTaskRun.objects.exists()


def test_a_day_that_has_not_come_yet_is_explained(stack, oncall):
    later = (timezone.localdate() + timedelta(days=3)).isoformat()
    for kind in ("replay", "rebuild"):
        response = logged_in(oncall).post(reverse("ops:task_start", args=[kind]), {"day": later})
        assert response.status_code == 400
        assert f"{later} is after today&#x27;s trading date" in response.content.decode()
    assert not OpsTaskRun.objects.exists()


def test_a_redrive_needs_its_typed_confirmation(stack, oncall):
    response = logged_in(oncall).post(reverse("ops:task_start", args=["redrive"]), {"confirm": ""})
    assert response.status_code == 400
    assert "Type redrive to confirm." in response.content.decode()
    assert not OpsTaskRun.objects.exists()


def test_an_unknown_operation_is_not_found(stack, oncall):
    assert logged_in(oncall).post(reverse("ops:task_start", args=["reboot"])).status_code == 404


def test_a_second_replay_of_the_same_day_is_refused_while_the_first_is_active(stack, oncall):
    browser = logged_in(oncall)
    url = reverse("ops:task_start", args=["replay"])
    first = browser.post(url, {"day": "2025-07-21"})
    assert first.status_code == 302
    refused = browser.post(url, {"day": "2025-07-21"}, follow=True).content.decode()
    assert "Replay 2025-07-21 (every feed) is queued already (run #" in refused
    assert OpsTaskRun.objects.count() == 1
    # Another day is another lock.
    assert browser.post(url, {"day": "2025-07-20"}).status_code == 302
    assert OpsTaskRun.objects.count() == 2


def test_the_lock_is_the_databases_whoever_starts_it(stack, oncall):
    task_run_start(kind="rebuild", params={"day": "2025-07-21"}, user=oncall, enqueue=False)
    with pytest.raises(RunRefused, match="already"):
        task_run_start(kind="rebuild", params={"day": "2025-07-20"}, user=None, via="manage.py")
    OpsTaskRun.objects.update(status="done")
    task_run_start(kind="rebuild", params={"day": "2025-07-20"}, user=None, via="manage.py")
    assert OpsTaskRun.objects.filter(status="queued").count() == 1


def test_the_operations_page_offers_each_form_and_counts_its_queries(
    stack, oncall, django_assert_max_num_queries
):
    for n in range(5):
        OpsTaskRun.objects.create(kind="redrive", lock=f"old-{n}", status="done", started_by=oncall)
    browser = logged_in(oncall)
    with django_assert_max_num_queries(10):  # session, user, roles, runs (lost, listed), ...
        page = browser.get(reverse("ops:tasks")).content.decode()
    for form in ("replay-form", "rebuild-form", "redrive-form"):
        assert f'id="{form}"' in page
    assert page.count('data-run="') == 5


def test_the_pages_hear_queued_before_a_worker_can_say_running(
    stack, transactional_db, oncall, monkeypatch
):
    """A fast worker claims a run as soon as its task is sent: "queued" must be on its
    way to the pages first, or a page that heard "running" went back to "queued"."""
    import ops.task_runs as task_runs

    order: list[str] = []
    monkeypatch.setattr(task_runs, "task_run_publish", lambda run: order.append(run.status))
    monkeypatch.setattr(task_runs.current_app, "send_task", lambda name, args: order.append("sent"))
    task_run_start(kind="redrive", params={}, user=oncall)  # committed as on the page
    assert order == ["queued", "sent"]
